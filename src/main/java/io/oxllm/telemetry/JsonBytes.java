package io.oxllm.telemetry;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;

/**
 * A reused byte buffer that JSON values are written into as UTF-8, exactly as the Vert.x
 * {@code JsonObject} encoding (Jackson) the request log used before wrote them, then
 * {@code String.getBytes(UTF_8)} (the test suite compares the two on nasty and random records):
 * <ul>
 *   <li>strings: {@code "} and {@code \} escaped, {@code \b \t \n \f \r} short, other chars
 *       below 0x20 as a backslash, {@code u00} and two uppercase hex digits, everything else raw
 *       (0x7F and non-ASCII included); a lone surrogate becomes {@code ?}, as
 *       {@code String.getBytes(UTF_8)} made it;
 *   <li>milliseconds: {@code Double.toString} of whole microseconds / 1000, written from the
 *       integer (below 10⁷ ms that is {@code int.frac}, trailing zeros trimmed, one digit at
 *       least);
 *   <li>timestamps: {@code Instant.toString} of a millisecond, {@code .SSS} only when not zero.
 * </ul>
 * {@link JsonLineEncoder} lays a line out with it. Not thread-safe.
 */
final class JsonBytes implements RunCache.Target {
  private static final int INITIAL = 1024;
  /** A line longer than this (a huge model name) leaves a buffer that {@link #reset} drops. */
  private static final int RETAINED = 64 * 1024;
  /** Past this many microseconds (10⁷ ms) {@code Double.toString} switches to E notation. */
  private static final long PLAIN_MICROS = 10_000_000_000L;
  private static final long DAY_MILLIS = 86_400_000L;
  private static final byte[] HEX = ascii("0123456789ABCDEF");
  static final byte[] NULL = ascii("null");
  private static final byte[] LONG_MIN = ascii(Long.toString(Long.MIN_VALUE));
  /** Per ASCII char: 0 written as is, 'u' as backslash-u00XX, else the letter after a backslash. */
  private static final byte[] ESCAPES = new byte[128];

  static {
    for (int c = 0; c < 0x20; c++) {
      ESCAPES[c] = 'u';
    }
    ESCAPES['\b'] = 'b';
    ESCAPES['\t'] = 't';
    ESCAPES['\n'] = 'n';
    ESCAPES['\f'] = 'f';
    ESCAPES['\r'] = 'r';
    ESCAPES['"'] = '"';
    ESCAPES['\\'] = '\\';
  }

  private byte[] buf = new byte[INITIAL];
  private int pos;
  // "yyyy-MM-ddT" of the day last written: it changes once a day
  private final byte[] dayPrefix = new byte[11];
  private long day = -1;

  /** Empties the buffer (a new one when the last line made it huge). */
  void reset() {
    if (buf.length > RETAINED) {
      buf = new byte[INITIAL];
    }
    pos = 0;
  }

  @Override
  public int size() {
    return pos;
  }

  /** A copy of what was written since {@code from} (a {@link #size} taken earlier). */
  @Override
  public byte[] copySince(int from) {
    return Arrays.copyOfRange(buf, from, pos);
  }

  void copyTo(ByteBuffer buffer, int from, int length) {
    buffer.put(buf, from, length);
  }

  void timestamp(long epochMillis) {
    // before 1970 (never from a sane clock) the date arithmetic below would need floor division;
    // long nanos end in 2262, so the 4-digit years of the fast path always suffice
    if (epochMillis < 0) {
      raw(ascii(Instant.ofEpochMilli(epochMillis).toString()));
      return;
    }
    long d = epochMillis / DAY_MILLIS;
    if (d != day) {
      day = d;
      System.arraycopy(ascii(LocalDate.ofEpochDay(d) + "T"), 0, dayPrefix, 0, dayPrefix.length);
    }
    raw(dayPrefix);
    int ms = (int) (epochMillis - d * DAY_MILLIS);
    ensure(14);
    twoDigits(ms / 3_600_000);
    buf[pos++] = ':';
    twoDigits(ms / 60_000 % 60);
    buf[pos++] = ':';
    twoDigits(ms / 1000 % 60);
    int milli = ms % 1000;
    if (milli != 0) {
      buf[pos++] = '.';
      buf[pos++] = (byte) ('0' + milli / 100);
      twoDigits(milli % 100);
    }
    buf[pos++] = 'Z';
  }

  private void twoDigits(int v) {
    buf[pos++] = (byte) ('0' + v / 10);
    buf[pos++] = (byte) ('0' + v % 10);
  }

  /**
   * Milliseconds with microsecond precision (a local echo answers in well under one): the double
   * {@code Math.max(0, nanos / 1000) / 1000.0} as Jackson wrote it.
   */
  void millis(long nanos) {
    long micros = Math.max(0, nanos / 1000);
    if (micros >= PLAIN_MICROS) {
      raw(ascii(Double.toString(micros / 1000.0)));
      return;
    }
    number(micros / 1000);
    int frac = (int) (micros % 1000);
    ensure(4);
    buf[pos++] = '.';
    buf[pos++] = (byte) ('0' + frac / 100);
    if (frac % 100 != 0) {
      buf[pos++] = (byte) ('0' + frac / 10 % 10);
      if (frac % 10 != 0) {
        buf[pos++] = (byte) ('0' + frac % 10);
      }
    }
  }

  /** A number, or null when it is a sentinel (status 0: none came; tokens -1: unknown). */
  void numberOrNull(long v, boolean known) {
    if (known) {
      number(v);
    } else {
      raw(NULL);
    }
  }

  void number(long v) {
    if (v < 0) {
      if (v == Long.MIN_VALUE) { // has no positive counterpart
        raw(LONG_MIN);
        return;
      }
      raw((byte) '-');
      v = -v;
    }
    int digits = 1;
    for (long t = v; t >= 10; t /= 10) {
      digits++;
    }
    ensure(digits);
    byte[] b = buf;
    int end = pos + digits;
    for (int i = end - 1; i >= pos; i--) {
      b[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    pos = end;
  }

  /**
   * A request id as a JSON string or null: {@link #string}'s bytes, written from the id's bits when
   * the gateway made it ({@link RequestRecord#requestIdHigh}), else copied by {@link Latin1Ids}
   * when the id is plain ASCII (its chars must be Latin-1, as a request id's are).
   */
  void requestId(String id, long high, long low) {
    if ((high | low) != 0) {
      ensure(34);
      buf[pos] = '"';
      Latin1Ids.hex(high, low, buf, pos + 1);
      buf[pos + 33] = '"';
      pos += 34;
      return;
    }
    if (id != null) {
      int n = id.length();
      ensure(n + 2);
      if (Latin1Ids.copyJsonPlain(id, buf, pos + 1)) {
        buf[pos] = '"';
        buf[pos + n + 1] = '"';
        pos += n + 2;
        return;
      }
    }
    string(id); // writes over what the copy left
  }

  /** A JSON string or null, escaped as Jackson does, UTF-8 as {@code String.getBytes} makes it. */
  void string(String s) {
    if (s == null) {
      raw(NULL);
      return;
    }
    int n = s.length();
    ensure(n + 2);
    byte[] b = buf;
    int p = pos;
    b[p++] = '"';
    int i = 0;
    // the usual case, plain ASCII, needs no escaping and fits the room ensured above (in locals:
    // a field store per byte was most of what a line cost)
    for (char c; i < n && (c = s.charAt(i)) < 0x80 && ESCAPES[c] == 0; i++) {
      b[p++] = (byte) c;
    }
    pos = p;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        byte e = ESCAPES[c];
        if (e == 0) {
          ensure(1);
          buf[pos++] = (byte) c;
        } else if (e == 'u') {
          ensure(6);
          buf[pos++] = '\\';
          buf[pos++] = 'u';
          buf[pos++] = '0';
          buf[pos++] = '0';
          buf[pos++] = HEX[c >> 4];
          buf[pos++] = HEX[c & 0xF];
        } else {
          ensure(2);
          buf[pos++] = '\\';
          buf[pos++] = e;
        }
      } else if (c < 0x800) {
        ensure(2);
        buf[pos++] = (byte) (0xC0 | c >> 6);
        buf[pos++] = (byte) (0x80 | c & 0x3F);
      } else if (!Character.isSurrogate(c)) {
        ensure(3);
        buf[pos++] = (byte) (0xE0 | c >> 12);
        buf[pos++] = (byte) (0x80 | c >> 6 & 0x3F);
        buf[pos++] = (byte) (0x80 | c & 0x3F);
      } else if (Character.isHighSurrogate(c) && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        ensure(4);
        buf[pos++] = (byte) (0xF0 | cp >> 18);
        buf[pos++] = (byte) (0x80 | cp >> 12 & 0x3F);
        buf[pos++] = (byte) (0x80 | cp >> 6 & 0x3F);
        buf[pos++] = (byte) (0x80 | cp & 0x3F);
      } else {
        ensure(1);
        buf[pos++] = '?'; // a lone surrogate: what String.getBytes(UTF_8) wrote for it
      }
    }
    ensure(1);
    buf[pos++] = '"';
  }

  @Override
  public void raw(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, pos, b.length);
    pos += b.length;
  }

  void raw(byte b) {
    ensure(1);
    buf[pos++] = b;
  }

  // small enough to be inlined everywhere; the rare growth is a call
  private void ensure(int n) {
    if (buf.length - pos < n) {
      grow(n);
    }
  }

  private void grow(int n) {
    buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
