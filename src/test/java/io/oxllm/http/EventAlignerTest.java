package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.sse.SseScanner;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * EventAligner over every 1- and many 2-point splits of LF, CRLF and CR streams: the output is
 * the stream minus the usage-only event (with dropUsage), or the stream as it came; event-aligned
 * chunks pass as the same Buffer objects; tokens are recorded though the event is dropped; an
 * event over the scanner's limit passes as is; a cut event's bytes never go out.
 */
class EventAlignerTest {
  private static void eq(Object expected, Object actual, String what) {
    assertEquals(expected, actual, what);
  }

  private static String run(byte[] bytes, int limit, int[] cuts, List<Buffer> outs, boolean flush) {
    return run(bytes, limit, cuts, outs, flush, true);
  }

  private static String run(byte[] bytes, int limit, int[] cuts, List<Buffer> outs, boolean flush, boolean dropUsage) {
    SseScanner s = new SseScanner(() -> 0L, limit);
    Buffer all = Buffer.buffer();
    EventAligner st = new EventAligner(s, dropUsage, b -> {
      outs.add(b);
      all.appendBuffer(b);
    });
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      st.feed(Buffer.buffer().appendBytes(bytes, from, to - from));
      from = to;
    }
    if (flush) {
      all.appendBuffer(st.takeHeld());
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  private static String[] events() {
    String head = "{\"id\":\"c\",\"model\":\"m-ü\",\"choices\":";
    return new String[] {
      "data: " + head + "[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
      ": keep-alive\n\n",
      "data: " + head + "[{\"delta\":{\"content\":\"Hé 世界\"}}]}\n\n",
      "data: " + head + "[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
      "data: " + head + "[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}\n\n",
      "data: [DONE]\n\n"};
  }

  @Test
  void everySplitGivesTheStreamWithoutTheUsageEvent() {
    String[] ev = events();
    for (String eol : List.of("\n", "\r\n", "\r")) {
      String stream = String.join("", ev).replace("\n", eol);
      String expected = stream.replace(ev[4].replace("\n", eol), "");
      byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
      eq(expected, run(bytes, 1 << 20, new int[0], new ArrayList<>(), false), "whole " + eol.length());
      for (int c = 1; c < bytes.length; c++) {
        eq(expected, run(bytes, 1 << 20, new int[] {c}, new ArrayList<>(), false), "split " + c);
        for (int d = c + 1; d < bytes.length; d += 3) {
          eq(expected, run(bytes, 1 << 20, new int[] {c, d}, new ArrayList<>(), false), "split " + c + "," + d);
        }
      }
      int[] every = new int[bytes.length - 1];
      for (int i = 0; i < every.length; i++) every[i] = i + 1;
      eq(expected, run(bytes, 1 << 20, every, new ArrayList<>(), false), "bytewise");
      // incomplete tail: only with flush
      byte[] cut = Arrays.copyOf(bytes, bytes.length - 2);
      String exCut = expected.substring(0, expected.length() - 2);
      eq(exCut, run(cut, 1 << 20, new int[] {cut.length / 2}, new ArrayList<>(), true), "flushed tail");
      eq(exCut.substring(0, exCut.lastIndexOf("data: [DONE]")), run(cut, 1 << 20, new int[] {cut.length / 2}, new ArrayList<>(), false), "held tail");
    }
  }

  @Test
  void eventAlignedChunksPassAsTheSameBuffers() {
    String[] ev = events();
    SseScanner s = new SseScanner();
    List<Buffer> outs = new ArrayList<>();
    EventAligner st = new EventAligner(s, true, outs::add);
    List<Buffer> ins = new ArrayList<>();
    for (int i : new int[] {0, 1, 2, 3, 5}) { Buffer b = Buffer.buffer(ev[i]); ins.add(b); st.feed(b); }
    eq(ins.size(), outs.size(), "count");
    for (int i = 0; i < ins.size(); i++) eq(true, ins.get(i) == outs.get(i), "same instance " + i);
    eq(true, s.sawDone(), "done");
  }

  @Test
  void tokensAreRecordedThoughTheEventIsDropped() {
    String[] ev = events();
    SseScanner s2 = new SseScanner();
    new EventAligner(s2, true, b -> {}).feed(Buffer.buffer(String.join("", ev)));
    eq(12L, s2.inputTokens(), "in"); eq(3L, s2.outputTokens(), "out");
  }

  @Test
  void anEventOverTheLimitPassesAsIs() {
    String big = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"x\":\"" + "u".repeat(200) + "\"}}\n\n";
    String small = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2}}\n\n";
    String d = "data: [DONE]\n\n";
    String stream = big + small + d;
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    for (int c = 1; c < bytes.length; c++) {
      String got = run(bytes, 64, new int[] {c}, new ArrayList<>(), false);
      // over the limit the event is never inspected, so it is never dropped
      eq(big + d, got, "oversize split " + c);
    }
    for (int size : new int[] {1, 5, 64, 65, 100}) {
      List<Integer> cs = new ArrayList<>();
      for (int i = size; i < bytes.length; i += size) cs.add(i);
      eq(big + d, run(bytes, 64, cs.stream().mapToInt(Integer::intValue).toArray(), new ArrayList<>(), false), "oversize chunks " + size);
    }
  }

  @Test
  void withoutDropUsageEverySplitGivesTheStreamAsItCameAndOnlyWholeEventsAfterEachChunk() {
    String[] ev = events();
    for (String eol : List.of("\n", "\r\n", "\r")) {
      String stream = String.join("", ev).replace("\n", eol);
      byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
      List<Integer> ends = new ArrayList<>(List.of(0));
      for (String e : ev) {
        ends.add(ends.get(ends.size() - 1) + e.replace("\n", eol).getBytes(StandardCharsets.UTF_8).length);
      }
      for (int c = 1; c < bytes.length; c++) {
        for (int d = c + 1; d <= bytes.length; d += 2) {
          SseScanner s = new SseScanner(() -> 0L, 1 << 20);
          Buffer all = Buffer.buffer();
          EventAligner al = new EventAligner(s, false, all::appendBuffer);
          int[] cuts = {0, c, d, bytes.length};
          for (int i = 1; i < cuts.length; i++) {
            al.feed(Buffer.buffer().appendBytes(bytes, cuts[i - 1], cuts[i] - cuts[i - 1]));
            // a CR-ended event is told at its CR; its LF follows with the next chunk
            int sent = all.length();
            boolean atEnd = ends.contains(sent) || eol.equals("\r\n") && ends.contains(sent + 1);
            eq(true, atEnd, eol.length() + ": after chunk " + i + " of split " + c + "," + d + " sent " + sent);
          }
          eq(stream, all.toString(StandardCharsets.UTF_8), "split " + c + "," + d);
        }
      }
    }
  }

  @Test
  void aCutEventIsDiscardedAndWhatWentOutEndsBetweenEvents() {
    String[] ev = events();
    String whole = ev[0] + ev[2];
    String partial = "data: {\"choices\":[{\"delta\":{\"content\":\"cu";
    byte[] bytes = (whole + partial).getBytes(StandardCharsets.UTF_8);
    for (int c = 1; c < bytes.length; c++) {
      SseScanner s = new SseScanner(() -> 0L, 1 << 20);
      Buffer all = Buffer.buffer();
      EventAligner al = new EventAligner(s, false, all::appendBuffer);
      al.feed(Buffer.buffer().appendBytes(bytes, 0, c));
      al.feed(Buffer.buffer().appendBytes(bytes, c, bytes.length - c));
      al.discard();
      eq(whole, all.toString(StandardCharsets.UTF_8), "split " + c);
      eq(false, al.sentEndsInsideEvent(), "nothing of the cut event went out, split " + c);
      eq(true, s.endsInsideDataEvent(), "the scanner saw the cut");
    }
  }

  @Test
  void aCutEventOverTheLimitWentOutInPartAndSaysSo() {
    String big = "data: {\"choices\":[{\"delta\":{\"content\":\"" + "b".repeat(200);
    SseScanner s = new SseScanner(() -> 0L, 64);
    Buffer all = Buffer.buffer();
    EventAligner al = new EventAligner(s, false, all::appendBuffer);
    al.feed(Buffer.buffer(big.substring(0, 50)));
    eq(0, all.length(), "held while within the limit");
    al.feed(Buffer.buffer(big.substring(50)));
    al.discard();
    eq(big, all.toString(StandardCharsets.UTF_8), "past the limit it went out as it came");
    eq(true, al.sentEndsInsideEvent(), "so what goes next needs a blank line first");
  }

  @Test
  void aTakenTailSaysWhetherItEndsInsideAnEvent() {
    String[] ev = events();
    for (String tail : List.of(": still here", "data: [DONE]", "")) {
      SseScanner s = new SseScanner(() -> 0L, 1 << 20);
      Buffer all = Buffer.buffer();
      EventAligner al = new EventAligner(s, false, all::appendBuffer);
      al.feed(Buffer.buffer(ev[0] + tail));
      eq(ev[0], all.toString(StandardCharsets.UTF_8), "held: " + tail);
      all.appendBuffer(al.takeHeld());
      eq(ev[0] + tail, all.toString(StandardCharsets.UTF_8), "taken: " + tail);
      eq(!tail.isEmpty(), al.sentEndsInsideEvent(), "inside an event after: " + tail);
    }
  }

  @Test
  void aCrLfDoneEndingOnItsCrGoesOutWithItsLfThoughNothingAfterItIsRead() {
    String[] ev = events();
    String stream = (ev[0] + ev[5]).replace("\n", "\r\n");
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    // the reads end on the last CR, split anywhere before it (bytewise too): the LF is never fed
    for (int c = 1; c < bytes.length - 1; c++) {
      for (int[] cuts : List.of(new int[] {c}, bytewise(c, bytes.length - 1))) {
        SseScanner s = new SseScanner(() -> 0L, 1 << 20);
        Buffer all = Buffer.buffer();
        EventAligner al = new EventAligner(s, false, all::appendBuffer);
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
          int to = i < cuts.length ? cuts[i] : bytes.length - 1;
          al.feed(Buffer.buffer().appendBytes(bytes, from, to - from));
          from = to;
        }
        eq(stream, all.toString(StandardCharsets.UTF_8), "the upstream's bytes, its last LF too, split " + c);
      }
    }
    for (String eol : List.of("\r", "\n")) { // other line ends owe nothing
      String other = (ev[0] + ev[5]).replace("\n", eol);
      Buffer all = Buffer.buffer();
      new EventAligner(new SseScanner(() -> 0L, 1 << 20), false, all::appendBuffer).feed(Buffer.buffer(other));
      eq(other, all.toString(StandardCharsets.UTF_8), "nothing added to " + eol.length() + "-byte line ends");
    }
  }

  /** Cuts after every byte from {@code from} up to {@code end}. */
  private static int[] bytewise(int from, int end) {
    int[] cuts = new int[Math.max(0, end - from)];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = from + i;
    }
    return cuts;
  }

}
