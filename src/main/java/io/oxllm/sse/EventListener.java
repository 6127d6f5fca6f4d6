package io.oxllm.sse;

/** Hears where events end inside the chunk being fed to {@link SseScanner}, for a caller that edits the stream. */
@FunctionalInterface
public interface EventListener {
  /**
   * An event (any block ended by a blank line, comment-only ones included) ended at chunk offset
   * {@code end} (exclusive: just after its blank line, for CRLF after the LF). {@code usageOnly}:
   * its JSON has {@code "choices": []} and a {@code usage} object (never true for an event beyond
   * the size limit, which is not inspected). Called after the event's facts are recorded, in stream
   * order, with ends that never decrease.
   *
   * <p>One exception to "one call per event": when a chunk ends between the CR and LF of a blank
   * line, the event is reported at that chunk's end, and the LF that starts the next chunk is
   * reported as a one-byte block with the event's {@code usageOnly}.
   */
  void eventEnd(int end, boolean usageOnly);
}
