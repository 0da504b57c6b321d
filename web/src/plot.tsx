import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Line {
  label: string;
  color: string;
  dash?: number[];
}

/**
 * A time-series chart (uPlot). `data` is [times in seconds, ...one array per line]; the chart is made
 * once and given new data as events arrive.
 */
export function Plot(props: { title: string; lines: Line[]; data: number[][]; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    if (!box.current) return;
    const width = Math.max(280, box.current.clientWidth);
    chart.current = new uPlot(
      {
        title: props.title,
        width,
        height: 180,
        scales: {
          // One point (a page just opened) still gets a readable minute around it.
          x: { time: true, range: (_u, min, max) => (max - min < 10 ? [min - 30, max + 30] : [min, max]) },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [{}, { size: 48 }],
        series: [
          {},
          ...props.lines.map((line) => ({
            label: line.label,
            stroke: line.color,
            width: 2,
            ...(line.dash ? { dash: line.dash } : {}),
          })),
        ],
      },
      props.data as uPlot.AlignedData,
      box.current,
    );
    const resize = () => {
      if (box.current && chart.current)
        chart.current.setSize({ width: Math.max(280, box.current.clientWidth), height: 180 });
    };
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.current?.destroy();
      chart.current = null;
    };
    // The chart is made once per set of lines; data changes go through setData below.
  }, [props.title, props.lines]);

  useEffect(() => {
    chart.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  return <div class="plot" ref={box} data-testid={props.testId} />;
}
