import { type Attributes, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/**
 * OpenTelemetry traces of provider calls: off unless SYNCLINE_OTLP_TRACES_URL names an OTLP/HTTP
 * collector endpoint (e.g. http://otel-collector:4318/v1/traces). Off, the API's tracer is a no-op and a
 * call costs nothing extra. Spans carry the platform, lane, integration, method, path and the answer;
 * never a header, a token or a body.
 */
const tracer = trace.getTracer("syncline");

export interface Tracing {
  /** Sends the spans still buffered and stops tracing. */
  close(): Promise<void>;
}

export function startTracing(options: { otlpTracesUrl: string | null; roles: string[] }): Tracing {
  if (!options.otlpTracesUrl) return { close: async () => {} };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": "syncline",
      "syncline.roles": options.roles.join(","),
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpTracesUrl }), {
        scheduledDelayMillis: 500,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    close: async () => {
      await provider.shutdown().catch(() => {});
      trace.disable();
    },
  };
}

/**
 * Runs one provider call inside a CLIENT span named after its method; `describe` reads the attributes
 * of the answer (status, outcome). A thrown error ends the span as an error.
 */
export async function traceProviderCall<T>(
  call: { method: string; path: string; platform: string; lane: string; integrationId: string },
  run: () => Promise<T>,
  describe: (result: T) => Attributes & { error?: boolean },
): Promise<T> {
  return tracer.startActiveSpan(
    `provider ${call.method}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "http.request.method": call.method,
        "url.path": call.path,
        "syncline.platform": call.platform,
        "syncline.lane": call.lane,
        "syncline.integration_id": call.integrationId,
      },
    },
    async (span) => {
      try {
        const result = await run();
        const { error, ...attributes } = describe(result);
        span.setAttributes(attributes);
        if (error) span.setStatus({ code: SpanStatusCode.ERROR });
        return result;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
