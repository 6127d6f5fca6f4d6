package io.oxllm.mock;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the mock upstream answers: timing, size and faults. The process-wide values come from the
 * command line flags ({@code --ttft-ms 50}); a request's {@code x-mock-*} headers override single
 * knobs for that request ({@code x-mock-ttft-ms: 50}). Knob names are the flag names without the
 * dashes, so one parser ({@link #with}) serves both.
 *
 * @param ttftMs delay before the response headers and first chunk (non-stream: the whole answer)
 * @param chunks content chunks in a stream (at least 1)
 * @param gapMs delay between two content chunks; 0 writes the whole stream at once
 * @param size bytes of assistant text in total
 * @param failRate fraction of requests (0..1, random) that answer {@code failStatus}
 * @param failStatus HTTP status of an injected failure
 * @param retryAfter Retry-After value (whole seconds) sent with an injected failure, or null
 * @param fault the fault every request suffers (see {@link Fault})
 */
public record MockKnobs(int ttftMs, int chunks, int gapMs, int size, double failRate, int failStatus,
    String retryAfter, Fault fault) {

  /** The flag defaults: an instant, healthy upstream streaming 64 bytes in 20 chunks 5 ms apart. */
  public static final MockKnobs DEFAULTS = new MockKnobs(0, 20, 5, 64, 0, 503, null, Fault.NONE);

  /** Header prefix of the per-request overrides. */
  public static final String HEADER_PREFIX = "x-mock-";

  // Bounds keep one request from asking for gigabytes of precomputed bytes or timers past a day.
  static final int MAX_CHUNKS = 100_000;
  static final int MAX_SIZE = 16 << 20;
  static final int MAX_DELAY_MS = 86_400_000;

  /**
   * A fault. {@code k} is the number of content chunks sent first for CUT and STALL (0 = right
   * after the headers), unused otherwise.
   */
  public record Fault(Kind kind, int k) {
    /** The fault kinds, spelled on the command line in lower case with dashes. */
    public enum Kind { NONE, HANG, RESET, CUT, STALL, ERROR_FIRST, NO_DONE }

    public static final Fault NONE = new Fault(Kind.NONE, 0);

    /** Parses {@code none|hang|reset|cut:K|stall:K|error-first|no-done}. */
    public static Fault parse(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      int colon = t.indexOf(':');
      String name = colon < 0 ? t : t.substring(0, colon);
      Kind kind = switch (name) {
        case "none" -> Kind.NONE;
        case "hang" -> Kind.HANG;
        case "reset" -> Kind.RESET;
        case "cut" -> Kind.CUT;
        case "stall" -> Kind.STALL;
        case "error-first" -> Kind.ERROR_FIRST;
        case "no-done" -> Kind.NO_DONE;
        default -> throw new IllegalArgumentException(
            "fault must be none, hang, reset, cut:K, stall:K, error-first or no-done, not '" + text + "'");
      };
      boolean counted = kind == Kind.CUT || kind == Kind.STALL;
      if (counted != (colon >= 0)) {
        throw new IllegalArgumentException(counted ? "fault " + name + " needs a chunk count: " + name + ":K"
            : "fault " + name + " takes no ':K'");
      }
      return kind == Kind.NONE ? NONE : new Fault(kind, counted ? whole("fault " + name, t.substring(colon + 1), 0, MAX_CHUNKS) : 0);
    }

    @Override
    public String toString() {
      String name = kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
      return kind == Kind.CUT || kind == Kind.STALL ? name + ":" + k : name;
    }
  }

  /** The knob names, as flags ({@code --NAME}) and headers ({@code x-mock-NAME}). */
  public static final List<String> NAMES = List.of(
      "ttft-ms", "chunks", "gap-ms", "size", "fail-rate", "fail-status", "retry-after", "fault");

  /**
   * A copy with knob {@code name} set from {@code value}; throws IllegalArgumentException naming
   * the knob when the name is unknown or the value out of range.
   */
  public MockKnobs with(String name, String value) {
    String v = value.trim();
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "ttft-ms" -> new MockKnobs(whole(name, v, 0, MAX_DELAY_MS), chunks, gapMs, size, failRate, failStatus, retryAfter, fault);
      case "chunks" -> new MockKnobs(ttftMs, whole(name, v, 1, MAX_CHUNKS), gapMs, size, failRate, failStatus, retryAfter, fault);
      case "gap-ms" -> new MockKnobs(ttftMs, chunks, whole(name, v, 0, MAX_DELAY_MS), size, failRate, failStatus, retryAfter, fault);
      case "size" -> new MockKnobs(ttftMs, chunks, gapMs, whole(name, v, 0, MAX_SIZE), failRate, failStatus, retryAfter, fault);
      case "fail-rate" -> new MockKnobs(ttftMs, chunks, gapMs, size, rate(name, v), failStatus, retryAfter, fault);
      case "fail-status" -> new MockKnobs(ttftMs, chunks, gapMs, size, failRate, whole(name, v, 200, 599), retryAfter, fault);
      case "retry-after" -> new MockKnobs(ttftMs, chunks, gapMs, size, failRate, failStatus,
          v.isEmpty() ? null : Integer.toString(whole(name, v, 0, MAX_DELAY_MS)), fault);
      case "fault" -> new MockKnobs(ttftMs, chunks, gapMs, size, failRate, failStatus, retryAfter, Fault.parse(v));
      default -> throw new IllegalArgumentException("unknown knob '" + name + "' (known: " + String.join(", ", NAMES) + ")");
    };
  }

  /**
   * These knobs overridden by the request's {@code x-mock-*} headers; {@code this} itself when
   * there are none, so the common request allocates nothing.
   */
  public MockKnobs withHeaders(MultiMap headers) {
    MockKnobs k = this;
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey();
      if (name.length() > HEADER_PREFIX.length() && name.regionMatches(true, 0, HEADER_PREFIX, 0, HEADER_PREFIX.length())) {
        try {
          k = k.with(name.substring(HEADER_PREFIX.length()), h.getValue());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("header " + name + ": " + e.getMessage());
        }
      }
    }
    return k;
  }

  /** The bytes a response depends on: only chunks and size shape the precomputed bodies. */
  long shapeKey() {
    return ((long) chunks << 32) | size;
  }

  private static int whole(String name, String v, int min, int max) {
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs a whole number, not '" + v + "'");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + n);
    }
    return (int) n;
  }

  private static double rate(String name, String v) {
    double r;
    try {
      r = Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs a number between 0 and 1, not '" + v + "'");
    }
    if (!(r >= 0 && r <= 1)) {
      throw new IllegalArgumentException(name + " must be between 0 and 1, not " + v);
    }
    return r;
  }
}
