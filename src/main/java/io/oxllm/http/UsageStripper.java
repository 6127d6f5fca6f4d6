package io.oxllm.http;

import io.oxllm.sse.EventListener;
import io.oxllm.sse.SseScanner;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Feeds a stream's chunks to its {@link SseScanner} and passes them on event-aligned, without the
 * usage-only event (SPEC section 5: the gateway asked for usage the client did not ask for).
 *
 * <p>Complete events go out as slices of the chunk they arrived in (the whole chunk when nothing
 * in it is cut: no copy); the bytes of an event still incomplete at the end of a chunk are held as
 * slices until its end arrives, then go out, or are discarded if the event was the usage-only one.
 * What is held is bounded by the scanner's event limit: an event that outgrows it is not inspected
 * anyway, so its bytes go out as they come. The scanner records the usage before the event is
 * dropped. Nothing after the {@code [DONE]} event goes out.
 */
final class UsageStripper implements EventListener {
  private final SseScanner scanner;
  private final Consumer<Buffer> out;
  private final int limit;
  private final List<Buffer> held = new ArrayList<>(2); // the unfinished event's bytes so far
  private int heldBytes;
  private boolean passing; // the unfinished event outgrew the limit: it is going out as it comes
  private boolean done; // [DONE] went out: nothing after it in its chunk goes (the answer is over)

  // The chunk being fed: [from, evStart) are complete events to send; evStart is where the
  // unfinished event starts.
  private Buffer chunk;
  private int from;
  private int evStart;

  UsageStripper(SseScanner scanner, Consumer<Buffer> out) {
    this.scanner = scanner;
    this.out = out;
    this.limit = scanner.maxEventBytes();
  }

  /** Scans {@code c} and sends on what it completes, minus a usage-only event. */
  void feed(Buffer c) {
    chunk = c;
    from = 0;
    evStart = 0;
    try {
      scanner.feed(c, this);
      send(from, evStart);
      if (done) {
        return; // evStart is the [DONE] event's end: the rest of the chunk is not the answer's
      }
      int n = c.length();
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
    }
  }

  @Override
  public void eventEnd(int end, boolean usageOnly) {
    if (done) {
      if (evStart == 0 && end == 1 && chunk.getByte(0) == '\n') {
        evStart = 1; // the LF of the CRLF that ended [DONE], the chunk before ending on its CR
      }
      return;
    }
    if (usageOnly && !passing) {
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

  /** The stream ended: bytes of an unfinished last event go out as they are. */
  void flush() {
    sendHeld();
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
