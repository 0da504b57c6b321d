/** A minimal async mutex: the slots of one activation pick and claim work one at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(critical: () => Promise<T>): Promise<T> {
    const result = this.tail.then(critical, critical);
    this.tail = result.catch(() => {});
    return result;
  }
}
