/**
 * State machines as data: for every state, the states it may move to. Each domain status (a run's, a
 * packet's, an outbox item's, an integration's) has one module that declares its table and is the only
 * writer of that status, always with a guarded UPDATE … WHERE status IN (the states allowed to move to
 * the target), so a move that lost a race (a run cancelled meanwhile) changes nothing.
 */
export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

/** The states that may move to `to`, narrowed to `only` when the caller expects particular ones. */
export function sourcesOf<S extends string>(table: TransitionTable<S>, to: S, only?: readonly S[]): S[] {
  const allowed = (Object.keys(table) as S[]).filter((from) => table[from].includes(to));
  if (!only) return allowed;
  const narrowed = allowed.filter((from) => only.includes(from));
  const illegal = only.filter((from) => !allowed.includes(from));
  if (illegal.length > 0) throw new Error(`No transition ${illegal.join("|")} → ${to}`);
  return narrowed;
}
