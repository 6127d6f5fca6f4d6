package io.oxllm.http;

/**
 * A request's id: the {@code x-request-id} the client gets, and, when the gateway made it, the 128
 * bits its 32 hex digits spell ({@code high} the first 16, {@code low} the last 16). Both bits are
 * 0 for a client's id; the telemetry encoders then copy the text.
 *
 * <p>Why the bits: the telemetry worker writes the id into the request log and both spans of each
 * request, and the text was made on the request's core when the request arrived, far from the
 * record in memory: reading it was two cache misses (the {@code String}, then its bytes) and about
 * a tenth of what live telemetry added (profile in docs/performance-history.md). Two longs ride in
 * the record itself, as the trace ids already do ({@code telemetry.TraceIds}).
 */
record RequestId(String text, long high, long low) {

  /** A client's id, sent back and logged as it came. */
  static RequestId fromClient(String text) {
    return new RequestId(text, 0, 0);
  }
}
