package io.oxllm.sse;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Incremental, read-only scanner over the raw bytes of an OpenAI-style SSE stream
 * ({@code chat/completions} or {@code completions} with {@code stream=true}).
 *
 * <p>The gateway forwards every upstream chunk unchanged and also hands it to {@link #feed}; the
 * scanner records what the gateway needs (event count, {@code [DONE]}, a first-event error, the
 * response model, finish reasons, usage and time to first token). Events may be split anywhere
 * across chunks. Lines may end with LF, CRLF or CR; {@code event:}, {@code id:}, {@code retry:}
 * fields and comments are ignored; several {@code data:} lines are joined with LF. A caller that
 * edits the stream (drops the usage-only event) passes an {@link EventListener} to learn where
 * each event ends in the chunk it fed, from this same state machine.
 *
 * <p>Cost and memory: each chunk is copied in windows of at most {@value #WINDOW} bytes into one
 * reusable array (a bulk copy is cheaper than per-byte {@code Buffer.getByte}); only the tail of an
 * incomplete event survives a call, so the caller's buffer is never retained. JSON is parsed only
 * for events whose bytes can change a result (see {@link JsonSniffer}). An event larger than the
 * limit (default 1 MiB) is not inspected and never buffered beyond the limit (the carry-over
 * array stays within max(limit + 1, {@value #WINDOW}) bytes), but it is counted when its
 * terminating blank line arrives. Not thread-safe: use it from the stream's event loop.
 */
public final class SseScanner {
  /** Default inspection limit for one event, in bytes. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;
  static final int WINDOW = 8192;
  private static final int INITIAL = 1024;
  private static final int SHRINK_ABOVE = 64 * 1024;

  private final int maxEventBytes;
  private final EventFacts facts;

  // Bytes [0, len) of buf are the unfinished event's tail; scanning resumes at len.
  private byte[] buf = new byte[INITIAL];
  private int len;
  private int lineStart; // start of the current (unfinished) line in buf
  private boolean atLineStart = true; // last byte ended a line (stream start counts)
  private boolean afterCr; // last byte was CR: a following LF belongs to the same line end
  private boolean dispatched; // an event went to DataLines: a byte order mark can only precede the first

  private final OversizeEvent oversize = new OversizeEvent();
  private final DataLines dataLines = new DataLines();

  // During feed(chunk, listener): who hears of event ends, and the chunk offset of buf[0].
  private final EventEnds ends = new EventEnds();
  private int base;

  /** A scanner using {@link System#nanoTime()} and a 1 MiB event limit. */
  public SseScanner() {
    this(System::nanoTime, DEFAULT_MAX_EVENT_BYTES);
  }

  /** A scanner taking first-token time from {@code nanoClock} (for deterministic tests). */
  public SseScanner(LongSupplier nanoClock) {
    this(nanoClock, DEFAULT_MAX_EVENT_BYTES);
  }

  /** A scanner with its own clock and a per-event inspection limit in bytes. */
  public SseScanner(LongSupplier nanoClock, int maxEventBytes) {
    if (maxEventBytes < 1) {
      throw new IllegalArgumentException("maxEventBytes must be positive");
    }
    this.maxEventBytes = maxEventBytes;
    this.facts = new EventFacts(nanoClock);
  }

  /**
   * Inspect one chunk of the stream. Events may be split anywhere across chunks, including inside
   * the "\n\n" / "\r\n\r\n" terminator or inside a multi-byte UTF-8 char. Reads the chunk and
   * does not keep a reference to it.
   */
  public void feed(Buffer chunk) {
    feed(chunk, null);
  }

  /**
   * {@link #feed(Buffer)}, also telling {@code l} (if not null), before this returns, where the
   * events that complete in {@code chunk} end in it (see {@link EventListener}).
   */
  public void feed(Buffer chunk, EventListener l) {
    ends.chunkStart(l);
    try {
      feedAll(chunk);
      ends.chunkEnd(chunk.length());
    } finally {
      ends.listener = null;
    }
  }

  private void feedAll(Buffer chunk) {
    int n = chunk.length();
    for (int from = 0; from < n; ) {
      int take = Math.min(WINDOW, n - from);
      if (oversize.active()) {
        ensure(take);
        chunk.getBytes(from, from + take, buf, 0);
        base = from;
        ends.windowStart(buf, 0, base);
        int p = oversize.scan(buf, 0, take);
        if (p >= 0) { // the oversize event ended: what follows goes the normal, bounded way
          facts.acceptUninspected(oversize.hasData());
          ends.ended(buf, p, take, base, false);
          atLineStart = true;
          afterCr = buf[p] == '\r';
          len = 0;
          lineStart = 0;
          take = p + 1;
        }
      } else {
        take = Math.min(take, maxEventBytes + 1 - len); // never hold more than limit + 1 bytes
        ensure(len + take);
        chunk.getBytes(from, from + take, buf, len);
        base = from - len;
        ends.windowStart(buf, len, base);
        scan(len + take);
      }
      from += take;
    }
  }

  /** Scans buf[len, end) for blank lines, dispatching each finished event, then keeps the tail. */
  private void scan(int end) {
    byte[] a = buf;
    int evStart = 0;
    for (int p = len; p < end; p++) {
      byte b = a[p];
      if (afterCr) {
        afterCr = false;
        if (b == '\n') {
          lineStart = p + 1;
          continue;
        }
      }
      if (b == '\n' || b == '\r') {
        afterCr = b == '\r';
        if (atLineStart) { // blank line: the event is complete
          facts.lastUsageOnly = false;
          dataLines.dispatch(a, afterBom(a, evStart, p), p, facts);
          evStart = p + 1;
          ends.ended(a, p, end, base, facts.lastUsageOnly);
        }
        atLineStart = true;
        lineStart = p + 1;
      } else {
        atLineStart = false;
      }
    }
    // Carry over only the unfinished event.
    len = end - evStart;
    if (evStart > 0) {
      System.arraycopy(a, evStart, a, 0, len);
      lineStart -= evStart;
    }
    if (len > maxEventBytes) { // remember whether it has data, then drop its bytes
      oversize.start(buf, lineStart, len, atLineStart, afterCr);
      len = 0;
      lineStart = 0;
      buf = new byte[Math.min(buf.length, WINDOW)];
    } else if (len <= INITIAL && buf.length > SHRINK_ABOVE) {
      buf = Arrays.copyOf(buf, INITIAL); // give back memory after an unusually large event
    }
  }

  /**
   * Where the event from {@code from} really starts: past a UTF-8 byte order mark when it is the
   * stream's first, which the SSE spec's parser skips (read as part of "data", it hid the event).
   */
  private int afterBom(byte[] a, int from, int to) {
    if (dispatched) {
      return from;
    }
    dispatched = true;
    boolean bom = to - from >= 3 && a[from] == (byte) 0xEF && a[from + 1] == (byte) 0xBB && a[from + 2] == (byte) 0xBF;
    return bom ? from + 3 : from;
  }

  private void ensure(int capacity) {
    if (buf.length < capacity) {
      int grown = Math.min(buf.length * 2, maxEventBytes + 1);
      buf = Arrays.copyOf(buf, Math.max(capacity, grown));
    }
  }

  /** The per-event inspection limit in bytes. */
  public int maxEventBytes() {
    return maxEventBytes;
  }

  /** Bytes currently held for an unfinished event (for tests of the memory bound). */
  int carriedBytes() {
    return len;
  }

  /** JSON parses done so far (for tests of the cheap pre-check). */
  int parses() {
    return facts.parses;
  }

  /** Capacity of the internal carry-over array (for tests of the memory bound). */
  int capacity() {
    return buf.length;
  }

  /**
   * Number of complete events seen so far (an event = block terminated by a blank line;
   * comment-only blocks like ": keep-alive\n\n" do NOT count; only blocks with at least one data:
   * field count).
   */
  public int events() {
    return facts.events;
  }

  /**
   * The bytes so far end inside an event: after some of its text and before the blank line that
   * ends it (line ends alone are not an event). What is written after them would join that event.
   */
  public boolean endsInsideEvent() {
    if (oversize.active()) {
      return true;
    }
    for (int k = 0; k < len; k++) {
      if (buf[k] != '\n' && buf[k] != '\r') {
        return true;
      }
    }
    return false;
  }

  /**
   * {@link #endsInsideEvent}, and that event has a data line, finished or not, or its unfinished
   * last line is so far a prefix of {@code data} ({@code d}, {@code da}, {@code dat}): it is cut.
   */
  public boolean endsInsideDataEvent() {
    if (oversize.active()) {
      return oversize.cutInsideData();
    }
    return DataLines.anyDataLine(buf, 0, len) || DataLines.isDataNamePrefix(buf, lineStart, len);
  }

  /**
   * The bytes so far end with a {@code data: [DONE]} line but not the blank line after it: the
   * upstream said the answer was complete and left out the separator.
   */
  public boolean endsInsideDoneEvent() {
    return !oversize.active() && DataLines.isDoneEvent(buf, 0, len);
  }

  /**
   * What ends the event the bytes so far end inside: a line end and a blank line, or only the
   * blank line when its last line is complete (after a CR, a whole CRLF, so the LF cannot pair
   * with it).
   */
  public String eventEnd() {
    return oversize.active() ? oversize.eventEnd() : eventEnd(atLineStart, afterCr);
  }

  /** {@link #eventEnd} for a line state: the scanner's, or an oversize event's while it lasts. */
  static String eventEnd(boolean atLineStart, boolean afterCr) {
    return !atLineStart ? "\n\n" : afterCr ? "\r\n" : "\n";
  }

  /** True once an event whose data is exactly [DONE] was seen. */
  public boolean sawDone() {
    return facts.sawDone;
  }

  /**
   * True if the FIRST data event's JSON has a top-level "error" member (an upstream that reports
   * failure inside a 200 stream). A JSON {@code null} error does not count.
   */
  public boolean firstEventIsError() {
    return facts.firstEventIsError;
  }

  /** The error message of that first error event (error.message, or the raw error value as text), else null. */
  public String firstErrorMessage() {
    return facts.firstErrorMessage;
  }

  /**
   * The message of the first error event after the first event (an {@code error} member, or an
   * event of type {@code error}), else null: the upstream failed in the middle of the answer.
   */
  public String laterErrorMessage() {
    return facts.laterErrorMessage;
  }

  /** The last non-null finish_reason seen in any choice (choices[*].finish_reason), else null. */
  public String finishReason() {
    return facts.finishReason;
  }

  /**
   * How many of choices 0 to {@code n} - 1 (by {@code index}; none is choice 0) had a
   * {@code finish_reason}: with {@code n} > 1 the answer is whole only when all n did.
   */
  public int finishedChoices(int n) {
    return facts.finishedBelow(n);
  }

  /** All distinct non-null finish_reasons in order of first appearance (for telemetry's gen_ai.response.finish_reasons). */
  public List<String> finishReasons() {
    return facts.finishReasonsView;
  }

  /** prompt_tokens of the last non-null "usage" object seen, or -1 when none. */
  public long inputTokens() {
    return facts.inputTokens;
  }

  /** completion_tokens of the last non-null "usage" object seen, or -1 when none. */
  public long outputTokens() {
    return facts.outputTokens;
  }

  /** The "model" of the first JSON event that has one, else null. */
  public String responseModel() {
    return facts.model;
  }

  /**
   * Clock reading (from the injected clock, {@link System#nanoTime()} by default) taken when the
   * first event whose delta carries content (a non-empty {@code delta.content}, a non-empty
   * {@code text} for completions, or any {@code tool_calls} delta) completed; 0 if none yet.
   */
  public long firstTokenNanos() {
    return facts.firstTokenNanos;
  }

  /** True once a first token was seen (unambiguous even if the clock read 0). */
  public boolean sawFirstToken() {
    return facts.sawToken;
  }
}
