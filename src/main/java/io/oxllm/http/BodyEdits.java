package io.oxllm.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Byte edits to a request body, applied in one pass: each replaces raw[start, end) (an insertion
 * when start == end) with new bytes; everything between the edits is copied unchanged. Edits must
 * not overlap; they may be added in any order.
 */
final class BodyEdits {
  private record Edit(int start, int end, byte[] bytes) {}

  private final List<Edit> edits = new ArrayList<>(2);

  BodyEdits replace(int start, int end, byte[] bytes) {
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("bad range " + start + ".." + end);
    }
    edits.add(new Edit(start, end, bytes));
    return this;
  }

  BodyEdits insert(int at, byte[] bytes) {
    return replace(at, at, bytes);
  }

  boolean isEmpty() {
    return edits.isEmpty();
  }

  /** From this size on an edited body is made of slices of the original rather than copied. */
  static final int SLICED_FROM_BYTES = 64 * 1024;

  /**
   * {@code raw} itself when there is nothing to change, else the edited body: a copy for a small
   * body (one array, as cheap as it gets), and from {@value #SLICED_FROM_BYTES} bytes a composite
   * of slices of {@code raw} and the new bytes, nothing of {@code raw} copied. A body near
   * {@code max_body_bytes} (10 MB) was copied whole for each attempt while the original stayed for
   * the next one, so each such request in flight held twice its size. Vert.x's buffers and the
   * slices it hands out are not released by a write, so {@code raw} stays whole for a later attempt.
   */
  Buffer applyTo(Buffer raw) {
    if (edits.isEmpty()) {
      return raw;
    }
    edits.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end));
    return raw.length() < SLICED_FROM_BYTES ? copied(raw) : sliced(raw);
  }

  private Buffer copied(Buffer raw) {
    int size = raw.length();
    for (Edit e : edits) {
      size += e.bytes.length - (e.end - e.start);
    }
    Buffer out = Buffer.buffer(size);
    int at = 0;
    for (Edit e : edits) {
      check(e, at, raw);
      out.appendBuffer(raw, at, e.start - at).appendBytes(e.bytes);
      at = e.end;
    }
    return out.appendBuffer(raw, at, raw.length() - at);
  }

  private Buffer sliced(Buffer raw) {
    ByteBuf whole = ((BufferInternal) raw).getByteBuf();
    List<ByteBuf> parts = new ArrayList<>(2 * edits.size() + 1);
    int at = 0;
    for (Edit e : edits) {
      check(e, at, raw);
      parts.add(whole.slice(at, e.start - at));
      parts.add(Unpooled.wrappedBuffer(e.bytes));
      at = e.end;
    }
    parts.add(whole.slice(at, raw.length() - at));
    return BufferInternal.buffer(Unpooled.wrappedBuffer(parts.size(), parts.toArray(ByteBuf[]::new)));
  }

  private static void check(Edit e, int at, Buffer raw) {
    if (e.start < at || e.end > raw.length()) {
      throw new IllegalStateException("overlapping or out-of-range edit " + e.start + ".." + e.end);
    }
  }
}
