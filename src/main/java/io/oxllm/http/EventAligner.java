package io.oxllm.http;

import io.oxllm.sse.EventListener;
import io.oxllm.sse.SseScanner;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Feeds a stream's chunks to its {@link SseScanner} and passes them on event-aligned: complete
 * events go on at once, the bytes of an event still unfinished at the end of a chunk wait for its
 * end. A client's SSE parser can do nothing with half an event, and when the upstream is cut
 * inside one, the half that already went out would reach the client as an event of its own, whose
 * JSON does not parse (an SDK stops there, before the gateway's {@code stream_interrupted} event):
 * held, it is dropped instead ({@link #discard}). With {@code dropUsage}, the usage-only event is
 * dropped too (SPEC section 5: the gateway asked for usage the client did not ask for); the
 * scanner has recorded its tokens by then. Nothing after the {@code [DONE]} event goes on.
 *
 * <p>Complete events go out as slices of the chunk they arrived in (the whole chunk when nothing
 * in it is cut: no copy, the usual case); an unfinished event's bytes are held as slices. What is
 * held is bounded by the scanner's event limit: an event that outgrows it is not inspected anyway,
 * so its bytes go out as they come.
 */
final class EventAligner implements EventListener {
  private static final Buffer LF = Buffer.buffer("\n");
  private final SseScanner scanner;
  private final boolean dropUsage;
  private final Consumer<Buffer> out;
  private final int limit;
  private final List<Buffer> held = new ArrayList<>(2); // the unfinished event's bytes so far
  private int heldBytes;
  // some of the unfinished event went out: it outgrew the limit and its bytes go out as they come,
  // or the stream ended and they were flushed
  private boolean passing;
  private boolean done; // [DONE] went out: nothing after it in its chunk goes (the answer is over)
  // the last two bytes fed before the current chunk (0: none yet), for the LF owed after [DONE]
  private byte last1;
  private byte last2;

  // The chunk being fed: [from, evStart) are complete events to send; evStart is where the
  // unfinished event starts.
  private Buffer chunk;
  private int from;
  private int evStart;

  /** {@code out} receives what goes on, in order; {@code dropUsage}: without the usage-only event. */
  EventAligner(SseScanner scanner, boolean dropUsage, Consumer<Buffer> out) {
    this.scanner = scanner;
    this.dropUsage = dropUsage;
    this.out = out;
    this.limit = scanner.maxEventBytes();
  }

  /** Scans {@code c} and sends on the events it completes. */
  void feed(Buffer c) {
    chunk = c;
    from = 0;
    evStart = 0;
    try {
      scanner.feed(c, this);
      send(from, evStart);
      int n = c.length();
      if (done) {
        // evStart is the [DONE] event's end: the rest of the chunk is not the answer's
        if (evStart == n && owesLf(c, n)) {
          out.accept(LF);
        }
        return;
      }
      if (evStart < n) {
        if (passing || heldBytes + n - evStart > limit) {
          sendHeld();
          send(evStart, n);
          passing = true;
        } else {
          held.add(evStart == 0 ? c : c.slice(evStart, n));
          heldBytes += n - evStart;
        }
      }
    } finally {
      chunk = null;
      int n = c.length();
      last2 = n >= 2 ? c.getByte(n - 2) : n == 1 ? last1 : last2;
      last1 = n >= 1 ? c.getByte(n - 1) : last1;
    }
  }

  /**
   * Whether {@code c} (n bytes) ends with the CR of {@code [DONE]}'s blank line after a CRLF line:
   * the LF of that CRLF is surely the next byte, which nobody reads once the answer is over
   * ({@code [DONE]} ends it). It goes out with the event, so the client gets the upstream's bytes.
   */
  private boolean owesLf(Buffer c, int n) {
    return byteFromEnd(c, n, 0) == '\r' && byteFromEnd(c, n, 1) == '\n' && byteFromEnd(c, n, 2) == '\r';
  }

  /** The byte {@code back} places before the end of what was fed so far, c (n bytes) last (up to 2 back). */
  private byte byteFromEnd(Buffer c, int n, int back) {
    if (back < n) {
      return c.getByte(n - 1 - back);
    }
    return back - n == 0 ? last1 : last2;
  }

  @Override
  public void eventEnd(int end, boolean usageOnly) {
    if (done) {
      return; // the [DONE] event, its owed LF included (owesLf), went out: nothing after it does
    }
    if (usageOnly && dropUsage && !passing) {
      send(from, evStart); // the events before it
      from = end;
      held.clear();
      heldBytes = 0;
    } else {
      sendHeld(); // this event's start, before its rest in this chunk
    }
    passing = false;
    evStart = end;
    done = scanner.sawDone();
  }

  /**
   * The stream ended cleanly inside an event that was not cut (a {@code [DONE]} without its blank
   * line, a comment): its held bytes, to go out as they are with what the gateway adds (the relay
   * sends nothing more by then).
   */
  Buffer takeHeld() {
    Buffer tail = Buffer.buffer(heldBytes + 16);
    for (Buffer b : held) {
      tail.appendBuffer(b);
    }
    discard();
    passing = scanner.endsInsideEvent(); // all the scanner read is out now (line ends alone are no event)
    return tail;
  }

  /** The stream was cut: the unfinished event's held bytes never go out. */
  void discard() {
    held.clear();
    heldBytes = 0;
  }

  /**
   * What went out so far ends inside an event: whatever the gateway writes next would join it
   * unless a blank line comes first.
   */
  boolean sentEndsInsideEvent() {
    return passing;
  }

  private void send(int start, int end) {
    if (start < end) {
      out.accept(start == 0 && end == chunk.length() ? chunk : chunk.slice(start, end));
    }
  }

  private void sendHeld() {
    if (!held.isEmpty()) {
      for (Buffer b : held) {
        out.accept(b);
      }
      held.clear();
      heldBytes = 0;
    }
  }
}
