package io.oxllm.sse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongSupplier;

/** What the data of the complete events of one stream said; fed by {@link SseScanner}. */
final class EventFacts {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};

  private final LongSupplier clock;
  private final List<String> finishReasons = new ArrayList<>(2);
  final List<String> finishReasonsView = Collections.unmodifiableList(finishReasons);

  int events;
  boolean sawDone;
  boolean firstEventIsError;
  String firstErrorMessage;
  String finishReason;
  long inputTokens = -1;
  long outputTokens = -1;
  String model;
  boolean sawToken;
  long firstTokenNanos;
  int parses; // JSON parses done (tests check that mid-stream deltas are skipped)
  /** The last event handed over was usage-only: {@code "choices": []} and a {@code usage} object. */
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

  /** One complete event whose (joined) data is a[off, off + len). */
  void accept(byte[] a, int off, int len) {
    lastUsageOnly = false;
    boolean first = events == 0;
    events++;
    if (len == DONE.length && JsonSniffer.regionEquals(a, off, DONE)) {
      sawDone = true;
      return;
    }
    // Mid-stream deltas normally stop here: a byte scan, no parse.
    if (!first && !JsonSniffer.worthParsing(a, off, len, model == null, !sawToken)) {
      return;
    }
    JsonNode root;
    parses++;
    try {
      root = MAPPER.readTree(a, off, len);
    } catch (Exception e) { // malformed JSON: the event counts, its contents are ignored
      return;
    }
    if (root == null || !root.isObject()) {
      return;
    }
    if (first) {
      JsonNode error = root.get("error");
      if (error != null && !error.isNull()) {
        firstEventIsError = true;
        firstErrorMessage = errorMessage(error);
      }
    }
    if (model == null) {
      JsonNode m = root.get("model");
      if (m != null && m.isTextual() && !m.textValue().isEmpty()) {
        model = m.textValue();
      }
    }
    JsonNode choices = root.get("choices");
    if (choices != null && choices.isArray()) {
      for (JsonNode choice : choices) {
        choice(choice);
      }
    }
    JsonNode usage = root.get("usage");
    if (usage != null && usage.isObject()) {
      inputTokens = count(usage.get("prompt_tokens"));
      outputTokens = count(usage.get("completion_tokens"));
      lastUsageOnly = choices != null && choices.isArray() && choices.isEmpty();
    }
  }

  private void choice(JsonNode choice) {
    if (!choice.isObject()) {
      return;
    }
    JsonNode reason = choice.get("finish_reason");
    if (reason != null && reason.isTextual() && !reason.textValue().isEmpty()) {
      finishReason = reason.textValue();
      if (!finishReasons.contains(finishReason)) {
        finishReasons.add(finishReason);
      }
    }
    if (!sawToken && carriesToken(choice)) {
      sawToken = true;
      firstTokenNanos = clock.getAsLong();
    }
  }

  /** A content delta (string or parts), completions text, or a tool_calls delta. */
  private static boolean carriesToken(JsonNode choice) {
    if (nonEmpty(choice.get("text"))) {
      return true;
    }
    JsonNode delta = choice.get("delta");
    if (delta == null || !delta.isObject()) {
      return false;
    }
    JsonNode tools = delta.get("tool_calls");
    return nonEmpty(delta.get("content"))
        || tools != null && (tools.isArray() && !tools.isEmpty() || tools.isObject());
  }

  private static boolean nonEmpty(JsonNode n) {
    return n != null && (n.isTextual() && !n.textValue().isEmpty() || n.isArray() && !n.isEmpty());
  }

  private static String errorMessage(JsonNode error) {
    if (error.isObject()) {
      JsonNode message = error.get("message");
      if (message != null && !message.isNull()) {
        return message.isTextual() ? message.textValue() : message.toString();
      }
      return error.toString();
    }
    return error.isTextual() ? error.textValue() : error.toString();
  }

  private static long count(JsonNode n) {
    return n != null && n.canConvertToLong() && n.isIntegralNumber() ? n.longValue() : -1;
  }
}
