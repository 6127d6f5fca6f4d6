package io.oxllm.sse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/** What the data of the complete events of one stream said; fed by {@link SseScanner}. */
final class EventFacts {
  // Jackson's streaming parser into Vert.x's JsonObject: the few parses a stream needs do not need
  // databind's ObjectMapper and its ~330 classes (docs/performance-history.md).
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};
  /**
   * How much of a non-JSON error event's data its message keeps: more than the 200 characters
   * repeated (upstream.UpstreamText), so that a secret in them is seen whole before the cut.
   */
  private static final int MAX_MESSAGE = 4096;
  /** Distinct choice indexes remembered: more than any API allows for n (OpenAI's limit is 128). */
  static final int MAX_CHOICES = 1024;

  private final LongSupplier clock;
  private final List<String> finishReasons = new ArrayList<>(2);
  // the indexes (below MAX_CHOICES) of the choices that had a finish_reason; null until one has
  private Set<Integer> finishedIndexes;
  final List<String> finishReasonsView = Collections.unmodifiableList(finishReasons);

  int events;
  boolean sawDone;
  boolean firstEventIsError;
  String firstErrorMessage;
  String laterErrorMessage; // the first error event's after the first event, or null
  String finishReason;
  long inputTokens = -1;
  long outputTokens = -1;
  String model;
  boolean sawToken;
  long firstTokenNanos;
  int parses; // JSON parses done (tests check that mid-stream deltas are skipped)
  /** The last event handed over was usage-only: a {@code usage} object and no or empty {@code choices}. */
  boolean lastUsageOnly;

  EventFacts(LongSupplier clock) {
    this.clock = clock;
  }

  /** An oversize event that was not inspected; it still counts when it had a data field. */
  void acceptUninspected(boolean hasData) {
    lastUsageOnly = false;
    if (hasData) {
      events++; // it is the first data event too, but its JSON is unknown: not an error
    }
  }

  /**
   * One complete event whose (joined) data is a[off, off + len); {@code errorEvent}: its SSE event
   * type is {@code error}, which makes a first event an error whatever its data says.
   */
  void accept(byte[] a, int off, int len, boolean errorEvent) {
    lastUsageOnly = false;
    boolean first = events == 0;
    events++;
    if (len == DONE.length && JsonSniffer.regionEquals(a, off, DONE)) {
      sawDone = true;
      return;
    }
    boolean laterErrorEvent = !first && errorEvent && laterErrorMessage == null; // the first such after the first
    if (first && errorEvent || laterErrorEvent) {
      // its message, from the JSON below when there is one
      String data = new String(a, off, Math.min(len, MAX_MESSAGE), java.nio.charset.StandardCharsets.UTF_8);
      if (first) {
        firstEventIsError = true;
        firstErrorMessage = data;
      } else {
        laterErrorMessage = data;
      }
    }
    // Mid-stream deltas normally stop here: a byte scan, no parse.
    if (!first && !JsonSniffer.worthParsing(a, off, len, model == null, !sawToken)) {
      return;
    }
    Object parsed;
    parses++;
    try (JsonParser p = JSON.createParser(a, off, len)) {
      parsed = JacksonCodec.fromParser(p, Object.class);
    } catch (Exception e) { // malformed JSON: the event counts, its contents are ignored
      return;
    }
    if (!(parsed instanceof JsonObject root)) {
      return;
    }
    if (first) {
      Object error = root.getValue("error");
      if (ErrorText.present(error)) {
        firstEventIsError = true;
        firstErrorMessage = ErrorText.of(error);
      } else if (errorEvent) {
        firstErrorMessage = ErrorText.of(root);
      }
    } else {
      Object error = root.getValue("error");
      if (ErrorText.present(error) && (laterErrorMessage == null || laterErrorEvent)) {
        laterErrorMessage = ErrorText.of(error);
      } else if (laterErrorEvent) {
        laterErrorMessage = ErrorText.of(root);
      }
    }
    if (model == null && root.getValue("model") instanceof String m && !m.isEmpty()) {
      model = m;
    }
    Object choices = root.getValue("choices");
    if (choices instanceof JsonArray list) {
      for (Object choice : list) {
        choice(choice);
      }
    }
    if (root.getValue("usage") instanceof JsonObject usage) {
      inputTokens = count(usage.getValue("prompt_tokens"));
      outputTokens = count(usage.getValue("completion_tokens"));
      // "choices": [] (OpenAI), or no choices at all: either way nothing but usage
      lastUsageOnly = choices == null || choices instanceof JsonArray list && list.isEmpty();
    }
  }

  private void choice(Object value) {
    if (!(value instanceof JsonObject choice)) {
      return;
    }
    if (choice.getValue("finish_reason") instanceof String reason && !reason.isEmpty()) {
      finished(choice.getValue("index"));
      finishReason = reason;
      if (!finishReasons.contains(reason)) {
        finishReasons.add(reason);
      }
    }
    if (!sawToken && carriesToken(choice)) {
      sawToken = true;
      firstTokenNanos = clock.getAsLong();
    }
  }

  /**
   * Choice {@code index} had its finish_reason: remembered once. No index is choice 0 (one choice);
   * an index that is not a small non-negative integer names no choice that was asked for.
   */
  private void finished(Object index) {
    int i = index == null ? 0 : index instanceof Integer n && n >= 0 && n < MAX_CHOICES ? n : -1;
    if (i < 0) {
      return;
    }
    if (finishedIndexes == null) {
      finishedIndexes = new HashSet<>(4);
    }
    finishedIndexes.add(i);
  }

  /** How many of choices 0 to {@code n} - 1 had their finish_reason. */
  int finishedBelow(int n) {
    if (finishedIndexes == null) {
      return 0;
    }
    int count = 0;
    for (int i : finishedIndexes) {
      if (i < n) {
        count++;
      }
    }
    return count;
  }

  /**
   * A content delta (string or parts), completions text, a tool_calls delta, or a reasoning delta
   * ({@code reasoning_content} as vLLM and DeepSeek write it, {@code reasoning} as Ollama and
   * OpenRouter do): a reasoning model's first token is its first thought.
   */
  private static boolean carriesToken(JsonObject choice) {
    if (nonEmpty(choice.getValue("text"))) {
      return true;
    }
    if (!(choice.getValue("delta") instanceof JsonObject delta)) {
      return false;
    }
    Object tools = delta.getValue("tool_calls");
    return nonEmpty(delta.getValue("content"))
        || tools instanceof JsonArray list && !list.isEmpty() || tools instanceof JsonObject
        || nonEmpty(delta.getValue("reasoning_content")) || nonEmpty(delta.getValue("reasoning"));
  }

  private static boolean nonEmpty(Object v) {
    return v instanceof String s && !s.isEmpty() || v instanceof JsonArray list && !list.isEmpty();
  }

  // An integral count (a float such as 12.0 is not one); -1 when absent or not a count.
  private static long count(Object n) {
    if (n instanceof Integer || n instanceof Long) {
      return ((Number) n).longValue();
    }
    return n instanceof BigInteger big && big.bitLength() < 64 ? big.longValue() : -1;
  }
}
