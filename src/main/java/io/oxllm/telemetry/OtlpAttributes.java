package io.oxllm.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Span attributes ({@code Span.attributes}: KeyValue messages holding an AnyValue) written into an
 * {@link OtlpTraceEncoder}'s {@link ProtoWriter}, keys encoded once ({@link #key}), and any
 * attribute for the resource. Worker thread only, like the encoder.
 */
final class OtlpAttributes {
  private static final int ATTRIBUTES = 9; // Span.attributes
  // KeyValue.key/value; AnyValue.string/bool/int/double/array; ArrayValue.values
  private static final int KV_KEY = 1;
  private static final int KV_VALUE = 2;
  private static final int ANY_STRING = 1;
  private static final int ANY_BOOL = 2;
  private static final int ANY_INT = 3;
  private static final int ANY_DOUBLE = 4;
  private static final int ANY_ARRAY = 5;
  private static final int ARRAY_VALUES = 1;
  // one-byte tags of the fields an attribute is made of, whose lengths are computed, not patched
  private static final byte ATTRIBUTE_TAG = ProtoWriter.tagByte(ATTRIBUTES, ProtoWriter.LENGTH_DELIMITED);
  private static final byte VALUE_TAG = ProtoWriter.tagByte(KV_VALUE, ProtoWriter.LENGTH_DELIMITED);
  private static final byte STRING_TAG = ProtoWriter.tagByte(ANY_STRING, ProtoWriter.LENGTH_DELIMITED);
  private static final byte INT_TAG = ProtoWriter.tagByte(ANY_INT, ProtoWriter.VARINT);

  private final ProtoWriter out;

  OtlpAttributes(ProtoWriter out) {
    this.out = out;
  }

  /**
   * A string attribute; none when the value is null. The KeyValue's and AnyValue's lengths follow
   * from the value's, so they are written first rather than patched after, all in one
   * {@link ProtoWriter#room} (per-byte bounds checks and field stores were most of what encoding
   * cost): the chars when they are ASCII, else the UTF-8 bytes.
   */
  void string(byte[] key, String value) {
    if (value == null) {
      return;
    }
    int n = value.length();
    byte[] b = out.room(attributeRoom(key, n));
    int end = ProtoWriter.putAscii(b, stringHead(b, out.size(), key, n), value);
    if (end < 0) { // not ASCII: written again over what was, with the UTF-8 length
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      b = out.room(attributeRoom(key, utf8.length));
      end = stringHead(b, out.size(), key, utf8.length);
      System.arraycopy(utf8, 0, b, end, utf8.length);
      end += utf8.length;
    }
    out.moveTo(end);
  }

  /**
   * A request id attribute: {@link #string}'s bytes, written from the id's bits when the gateway
   * made it ({@link RequestRecord#requestIdHigh}), else copied by {@link Latin1Ids} when the id is
   * ASCII (its chars must be Latin-1, as a request id's are).
   */
  void requestId(byte[] key, String id, long high, long low) {
    if ((high | low) != 0) {
      byte[] b = out.room(attributeRoom(key, 32));
      int at = stringHead(b, out.size(), key, 32);
      Latin1Ids.hex(high, low, b, at);
      out.moveTo(at + 32);
      return;
    }
    if (id == null) {
      return;
    }
    int n = id.length();
    byte[] b = out.room(attributeRoom(key, n));
    int at = stringHead(b, out.size(), key, n);
    if (Latin1Ids.copyAscii(id, b, at)) {
      out.moveTo(at + n);
    } else {
      string(key, id); // writes over what the copy left
    }
  }

  void integer(byte[] key, long value) {
    byte[] b = out.room(attributeRoom(key, 10));
    int p = valueHead(b, out.size(), key, 1 + ProtoWriter.varintSize(value));
    b[p++] = INT_TAG;
    out.moveTo(ProtoWriter.putVarint(b, p, value));
  }

  /** At most what an attribute with a value of {@code valueBytes} bytes takes (three lengths of ≤ 5 bytes, two tags). */
  private static int attributeRoom(byte[] key, int valueBytes) {
    return key.length + valueBytes + 20;
  }

  /** Everything of a string attribute before the string's {@code length} bytes; returns where they go. */
  private static int stringHead(byte[] b, int p, byte[] key, int length) {
    p = valueHead(b, p, key, 1 + ProtoWriter.varintSize(length) + length);
    b[p++] = STRING_TAG;
    return ProtoWriter.putVarint(b, p, length);
  }

  /** An attribute's tag and length, its key, and the tag and length of an AnyValue of {@code valueLength} bytes. */
  private static int valueHead(byte[] b, int p, byte[] key, int valueLength) {
    b[p++] = ATTRIBUTE_TAG;
    p = ProtoWriter.putVarint(b, p, key.length + 1 + ProtoWriter.varintSize(valueLength) + valueLength);
    System.arraycopy(key, 0, b, p, key.length);
    p += key.length;
    b[p++] = VALUE_TAG;
    return ProtoWriter.putVarint(b, p, valueLength);
  }

  void strings(byte[] key, List<String> values) {
    int kv = out.begin(ATTRIBUTES);
    out.raw(key);
    int v = out.begin(KV_VALUE);
    int array = out.begin(ANY_ARRAY);
    for (String s : values) {
      int item = out.begin(ARRAY_VALUES);
      out.stringAlways(ANY_STRING, s == null ? "" : s);
      out.end(item);
    }
    out.end(array);
    out.end(v);
    out.end(kv);
  }

  /** A whole span attribute whose value never varies, encoded once. */
  static byte[] constant(byte[] key, Object value) {
    ProtoWriter w = new ProtoWriter(64);
    keyValue(w, ATTRIBUTES, key, value);
    return w.toByteArray();
  }

  /** The {@code key} field of a KeyValue, encoded once. */
  static byte[] key(AttributeKey<?> key) {
    ProtoWriter w = new ProtoWriter(64);
    w.stringAlways(KV_KEY, key.getKey());
    return w.toByteArray();
  }

  /** Any attribute (the resource's): strings, booleans, longs, doubles and arrays of them. */
  static void attribute(ProtoWriter w, int field, AttributeKey<?> key, Object value) {
    keyValue(w, field, key(key), value);
  }

  /** A KeyValue as field {@code field}: the encoded {@code key}, then any value. */
  private static void keyValue(ProtoWriter w, int field, byte[] key, Object value) {
    int kv = w.begin(field);
    w.raw(key);
    int v = w.begin(KV_VALUE);
    anyValue(w, value);
    w.end(v);
    w.end(kv);
  }

  private static void anyValue(ProtoWriter w, Object value) {
    if (value instanceof Boolean b) {
      w.varintAlways(ANY_BOOL, b ? 1 : 0);
    } else if (value instanceof Long l) {
      w.varintAlways(ANY_INT, l);
    } else if (value instanceof Double d) {
      w.doubleAlways(ANY_DOUBLE, d);
    } else if (value instanceof List<?> list) {
      int array = w.begin(ANY_ARRAY);
      for (Object item : list) {
        int i = w.begin(ARRAY_VALUES);
        anyValue(w, item);
        w.end(i);
      }
      w.end(array);
    } else {
      w.stringAlways(ANY_STRING, String.valueOf(value));
    }
  }
}
