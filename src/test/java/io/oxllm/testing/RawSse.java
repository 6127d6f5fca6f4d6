package io.oxllm.testing;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Behaviour} that writes a 200 {@code text/event-stream} body as given raw pieces (each its
 * own write, {@code gapMs} apart, the first with the headers) and records what it wrote and when:
 * {@link #writeNanos()} gives the gateway-independent schedule to compare client arrival times
 * against, {@link #written()} the exact bytes the gateway received. Unlike the factory behaviours
 * it has state: use one instance per request.
 */
public final class RawSse implements Behaviour {
  private final List<String> pieces;
  private final long gapMs;
  private final Ending ending;
  private final List<Long> writeNanos = new CopyOnWriteArrayList<>();
  private final Buffer written = Buffer.buffer(); // guarded by itself

  private RawSse(List<String> pieces, long gapMs, Ending ending) {
    this.pieces = List.copyOf(pieces);
    this.gapMs = gapMs;
    this.ending = ending;
  }

  /** Each piece written as-is (pieces may split events anywhere). */
  public static RawSse pieces(long gapMs, Ending ending, String... pieces) {
    return new RawSse(List.of(pieces), gapMs, ending);
  }

  /** Each event written as one {@code data: <event>\n\n} piece. */
  public static RawSse events(List<String> events, long gapMs, Ending ending) {
    List<String> p = new ArrayList<>();
    events.forEach(e -> p.add("data: " + e + "\n\n"));
    return new RawSse(p, gapMs, ending);
  }

  /**
   * Realistic chat stream events (the part after {@code data: }): {@code chunks} content deltas
   * {@code "tok0 "}, …, then optionally a finish_reason chunk, a usage-only chunk and {@code [DONE]}.
   */
  public static List<String> chatEvents(int chunks, boolean finish, boolean usage, boolean done) {
    return ChatJson.stream(chunks, finish, usage, done);
  }

  /** The bytes {@link #events} writes for {@code events}. */
  public static String wire(List<String> events) {
    StringBuilder sb = new StringBuilder();
    events.forEach(e -> sb.append("data: ").append(e).append("\n\n"));
    return sb.toString();
  }

  @Override
  public void handle(Exchange ex) {
    ex.startSse();
    List<Runnable> steps = new ArrayList<>();
    for (int i = 0; i < pieces.size(); i++) {
      String piece = pieces.get(i);
      boolean last = i == pieces.size() - 1;
      steps.add(() -> {
        Buffer b = Buffer.buffer(piece);
        writeNanos.add(System.nanoTime()); // before the write: nothing can arrive earlier
        ex.response().write(b);
        synchronized (written) {
          written.appendBuffer(b);
        }
        if (last && ending == Ending.END) {
          ex.end();
        }
      });
    }
    if (ending == Ending.CLOSE) {
      steps.add(ex::closeConnection);
    }
    ex.steps(gapMs, steps);
  }

  /** {@link System#nanoTime()} right before each piece was handed to the upstream's socket. */
  public List<Long> writeNanos() {
    return List.copyOf(writeNanos);
  }

  /** Every byte written so far. */
  public Buffer written() {
    synchronized (written) {
      return written.copy();
    }
  }
}
