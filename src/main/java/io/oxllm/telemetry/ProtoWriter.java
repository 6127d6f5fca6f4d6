package io.oxllm.telemetry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable protobuf wire-format writer, just what the OTLP trace encoding needs: varints,
 * fixed64/fixed32, UTF-8 strings, bytes, and nested messages whose length is written
 * after their body ({@link #begin}/{@link #end}) so no size pass is needed. One per batch being
 * built; reset and reused. Not thread-safe.
 */
final class ProtoWriter implements RunCache.Target {
  static final int VARINT = 0;
  private static final int FIXED64 = 1;
  static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;
  private static final VarHandle LITTLE_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LITTLE_ENDIAN_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private byte[] buf;
  private int pos;

  ProtoWriter(int initialCapacity) {
    buf = new byte[Math.max(64, initialCapacity)];
  }

  @Override
  public int size() {
    return pos;
  }

  void reset() {
    pos = 0;
  }

  /** The bytes written so far, as an exact-size copy. */
  byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /** A copy of the bytes written since {@code from} (a {@link #size} taken earlier). */
  @Override
  public byte[] copySince(int from) {
    return Arrays.copyOfRange(buf, from, pos);
  }

  /** Copies what was written into {@code dst} at its position, which it advances. */
  void copyTo(ByteBuffer dst) {
    dst.put(buf, 0, pos);
  }

  /**
   * Starts a nested message (or any length-delimited field): writes the tag and leaves one byte
   * for the length, which {@link #end} fills in, moving the body when the length needs more bytes.
   * Returns the handle {@link #end} takes.
   */
  int begin(int field) {
    return begin(field, 1);
  }

  void end(int bodyStart) {
    end(bodyStart, 1);
  }

  /**
   * {@link #begin} leaving {@code reserve} bytes for the length: a message whose size is usually
   * known to need that many (a span: 2; a whole export: 3), so {@link #end} need not move its body.
   */
  int begin(int field, int reserve) {
    tag(field, LENGTH_DELIMITED);
    ensure(reserve);
    pos += reserve;
    return pos;
  }

  /**
   * Ends what {@code begin(field, reserve)} started, moving the body only when the guess was wrong;
   * returns how far it moved (0 nearly always).
   */
  int end(int bodyStart, int reserve) {
    int length = pos - bodyStart;
    int shift = varintSize(length) - reserve;
    if (shift != 0) {
      ensure(Math.max(0, shift));
      System.arraycopy(buf, bodyStart, buf, bodyStart + shift, length);
      pos += shift;
    }
    int at = bodyStart - reserve;
    long v = length;
    while (v >= 0x80) {
      buf[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[at] = (byte) v;
    return shift;
  }

  /** Writes again the bytes from {@code from} to {@code to}, {@link #size}s taken earlier. */
  void repeat(int from, int to) {
    int n = to - from;
    ensure(n);
    System.arraycopy(buf, from, buf, pos, n);
    pos += n;
  }

  /** A string field; nothing when null or empty (proto3 leaves default values out). */
  void string(int field, String s) {
    if (s != null && !s.isEmpty()) {
      stringAlways(field, s);
    }
  }

  /**
   * A string field written even when empty: a oneof member, whose presence is its meaning. ASCII
   * (nearly every value: names, ids, paths) is written straight from the chars; anything else goes
   * through {@link String#getBytes}, where an unpaired surrogate becomes '?'.
   */
  void stringAlways(int field, String s) {
    int mark = pos;
    lengthPrefix(field, s.length());
    if (!ascii(s)) {
      pos = mark;
      bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** A string field {@code first + separator + second}; the separator is ASCII. */
  void joined(int field, String first, char separator, String second) {
    int mark = pos;
    lengthPrefix(field, first.length() + 1 + second.length());
    if (ascii(first)) {
      ensure(1);
      buf[pos++] = (byte) separator;
      if (ascii(second)) {
        return;
      }
    }
    pos = mark;
    byte[] a = first.getBytes(StandardCharsets.UTF_8);
    byte[] b = second.getBytes(StandardCharsets.UTF_8);
    lengthPrefix(field, a.length + 1 + b.length);
    raw(a);
    ensure(1);
    buf[pos++] = (byte) separator;
    raw(b);
  }

  /** Writes {@code s} as one byte per char when it is all ASCII; false (pos unchanged) when not. */
  private boolean ascii(String s) {
    int end = putAscii(room(s.length()), pos, s);
    if (end < 0) {
      return false;
    }
    pos = end;
    return true;
  }

  /**
   * Writes {@code s} into {@code b} at {@code p}, one byte per char, when it is all ASCII (then
   * those bytes are its UTF-8); returns the position after it, or -1 at its first other char.
   */
  static int putAscii(byte[] b, int p, String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return -1;
      }
      b[p++] = (byte) c;
    }
    return p;
  }

  void bytes(int field, byte[] value) {
    lengthPrefix(field, value.length);
    raw(value);
  }

  /** A span id: an 8-byte bytes field, the id's bytes big-endian (the W3C and OTLP order). */
  void id(int field, long id) {
    ensure(10);
    buf[pos++] = tagByte(field, LENGTH_DELIMITED);
    buf[pos++] = 8;
    BIG_ENDIAN_LONG.set(buf, pos, id);
    pos += 8;
  }

  /** A trace id: a 16-byte bytes field, high half first. */
  void id(int field, long high, long low) {
    ensure(18);
    buf[pos++] = tagByte(field, LENGTH_DELIMITED);
    buf[pos++] = 16;
    BIG_ENDIAN_LONG.set(buf, pos, high);
    BIG_ENDIAN_LONG.set(buf, pos + 8, low);
    pos += 16;
  }

  /** The tag and length of a length-delimited field of {@code length} bytes, which the caller writes after it. */
  void lengthPrefix(int field, int length) {
    tag(field, LENGTH_DELIMITED);
    varint(length);
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

  /**
   * The buffer, with room for {@code n} more bytes from {@link #size}: for a caller that writes a
   * field whose length it computed into local variables ({@link #putVarint}) and then
   * {@link #moveTo}s its end, rather than paying a bounds check and a field store per byte.
   */
  byte[] room(int n) {
    ensure(n);
    return buf;
  }

  /** Ends what was written into {@link #room} at {@code size}. */
  void moveTo(int size) {
    pos = size;
  }

  /** Writes a varint into {@code b} at {@code p}; returns the position after it. */
  static int putVarint(byte[] b, int p, long v) {
    while ((v & ~0x7FL) != 0) {
      b[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[p++] = (byte) v;
    return p;
  }

  /** Raw bytes already in wire format (a message encoded once and reused). */
  @Override
  public void raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, pos, bytes.length);
    pos += bytes.length;
  }

  /** A tag that fits one byte (field numbers up to 15), for a field written into {@link #room}. */
  static byte tagByte(int field, int wireType) {
    return (byte) (field << 3 | wireType);
  }

  private void tag(int field, int wireType) {
    varint((long) field << 3 | wireType);
  }

  private void varint(long v) {
    ensure(10);
    pos = putVarint(buf, pos, v);
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  // small enough to be inlined everywhere; the rare growth is a call
  private void ensure(int more) {
    if (buf.length - pos < more) {
      grow(more);
    }
  }

  private void grow(int more) {
    buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
  }
}
