package io.oxllm.telemetry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable protobuf wire-format writer, just what the OTLP trace encoding needs: varints,
 * fixed64/fixed32, UTF-8 strings, hex ids as bytes, and nested messages whose length is written
 * after their body ({@link #begin}/{@link #end}) so no size pass is needed. One per batch being
 * built; reset and reused. Not thread-safe.
 */
final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;
  private static final VarHandle LITTLE_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LITTLE_ENDIAN_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  // hex digit values by character; -1 for anything else (uppercase included: ids are lowercase)
  private static final int[] NIBBLES = new int[256];

  static {
    Arrays.fill(NIBBLES, -1);
    for (int c = '0'; c <= '9'; c++) {
      NIBBLES[c] = c - '0';
    }
    for (int c = 'a'; c <= 'f'; c++) {
      NIBBLES[c] = c - 'a' + 10;
    }
  }

  private final byte[] scratch = new byte[16];
  private byte[] buf;
  private int pos;

  ProtoWriter(int initialCapacity) {
    buf = new byte[Math.max(64, initialCapacity)];
  }

  int size() {
    return pos;
  }

  void reset() {
    pos = 0;
  }

  /** The bytes written so far, as an exact-size copy. */
  byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /**
   * Starts a nested message (or any length-delimited field): writes the tag and leaves one byte
   * for the length, which {@link #end} fills in, moving the body when the length needs more bytes.
   * Returns the handle {@link #end} takes.
   */
  int begin(int field) {
    tag(field, LENGTH_DELIMITED);
    ensure(1);
    pos++;
    return pos;
  }

  void end(int bodyStart) {
    int length = pos - bodyStart;
    int extra = varintSize(length) - 1;
    if (extra > 0) {
      ensure(extra);
      System.arraycopy(buf, bodyStart, buf, bodyStart + extra, length);
      pos += extra;
    }
    int at = bodyStart - 1;
    long v = length;
    while (v >= 0x80) {
      buf[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[at] = (byte) v;
  }

  /** A string field; nothing when null or empty (proto3 leaves default values out). */
  void string(int field, String s) {
    if (s != null && !s.isEmpty()) {
      stringAlways(field, s);
    }
  }

  /**
   * A string field written even when empty: a oneof member, whose presence is its meaning. An
   * unpaired surrogate becomes '?' ({@link String#getBytes}, whose Latin-1 fast path beats any
   * char loop here).
   */
  void stringAlways(int field, String s) {
    bytes(field, s.getBytes(StandardCharsets.UTF_8));
  }

  /** A string field {@code first + separator + second}, both already UTF-8. */
  void joined(int field, byte[] first, char separator, byte[] second) {
    tag(field, LENGTH_DELIMITED);
    varint(first.length + 1 + second.length);
    raw(first);
    ensure(1);
    buf[pos++] = (byte) separator;
    raw(second);
  }

  void bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    varint(value.length);
    raw(value);
  }

  /**
   * A bytes field holding the value of a trace or span id given as {@code length} lowercase hex
   * digits. Writes nothing and answers false when the id is not one: null, another length, other
   * characters, or all zeros (W3C: invalid).
   */
  boolean hexId(int field, String hex, int length) {
    if (hex == null || hex.length() != length) {
      return false;
    }
    byte[] digits = hex.getBytes(StandardCharsets.ISO_8859_1);
    int n = length / 2;
    byte[] id = scratch;
    int any = 0;
    for (int i = 0; i < n; i++) {
      int hi = NIBBLES[digits[2 * i] & 0xFF];
      int lo = NIBBLES[digits[2 * i + 1] & 0xFF];
      if ((hi | lo) < 0) {
        return false;
      }
      id[i] = (byte) (hi << 4 | lo);
      any |= hi | lo;
    }
    if (any == 0) {
      return false;
    }
    tag(field, LENGTH_DELIMITED);
    varint(n);
    ensure(n);
    System.arraycopy(id, 0, buf, pos, n);
    pos += n;
    return true;
  }

  /** A varint field (int64/uint32/enum/bool); nothing when 0. */
  void varintField(int field, long value) {
    if (value != 0) {
      tag(field, VARINT);
      varint(value);
    }
  }

  /** A varint field written even when 0: a oneof member, whose presence is its meaning. */
  void varintAlways(int field, long value) {
    tag(field, VARINT);
    varint(value);
  }

  void fixed64(int field, long value) {
    tag(field, FIXED64);
    ensure(8);
    LITTLE_ENDIAN_LONG.set(buf, pos, value);
    pos += 8;
  }

  void fixed32(int field, int value) {
    tag(field, FIXED32);
    ensure(4);
    LITTLE_ENDIAN_INT.set(buf, pos, value);
    pos += 4;
  }

  /** A double field written even when 0 (a oneof member). */
  void doubleAlways(int field, double value) {
    long bits = Double.doubleToRawLongBits(value);
    fixed64(field, bits);
  }

  /** Goes back to {@code size}, forgetting what was written after it (an abandoned message). */
  void truncate(int size) {
    pos = size;
  }

  /** Raw bytes already in wire format (a message encoded once and reused). */
  void raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, pos, bytes.length);
    pos += bytes.length;
  }

  private void tag(int field, int wireType) {
    varint((long) field << 3 | wireType);
  }

  private void varint(long v) {
    ensure(10);
    byte[] b = buf;
    int p = pos;
    while ((v & ~0x7FL) != 0) {
      b[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[p++] = (byte) v;
    pos = p;
  }

  private static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
    }
  }
}
