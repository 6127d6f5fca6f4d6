package io.oxllm.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The top-level {@code stream_options} of a request body as {@link RequestBody}'s walk found it,
 * with the byte positions needed to ask the upstream for {@code include_usage} by splicing bytes
 * (the rest of the body stays as the client wrote it).
 */
final class StreamOptions {
  private static final byte[] TRUE = ascii("true");
  private static final byte[] MEMBER = ascii("\"include_usage\":true");
  private static final byte[] MEMBER_FIRST = ascii("\"include_usage\":true,");
  private static final byte[] OBJECT = ascii("{\"include_usage\":true}");
  private static final byte[] FIELD = ascii(",\"stream_options\":{\"include_usage\":true}");

  private int occurrences;
  private JsonToken type;        // of the value (of the last occurrence)
  private int start;             // byte offset of the value's first byte
  private boolean hasFields;     // an object value with at least one member
  private boolean oddIncludeUsage; // include_usage with a value other than true, false or null
  private final List<int[]> falsy = new ArrayList<>(1); // [start, end) of include_usage false/null
  private boolean includeUsage;

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Reads the value of a top-level {@code stream_options} field, the parser being at its first
   * token; leaves the parser at its last token.
   */
  void read(JsonParser p) throws IOException {
    occurrences++;
    type = p.currentToken();
    start = (int) p.currentTokenLocation().getByteOffset();
    hasFields = false;
    oddIncludeUsage = false;
    falsy.clear();
    if (type != JsonToken.START_OBJECT) {
      p.skipChildren(); // as before: a non-object keeps what an earlier object said
      return;
    }
    boolean include = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      hasFields = true;
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if ("include_usage".equals(name)) {
        include = value == JsonToken.VALUE_TRUE; // the last one wins
        int at = (int) p.currentTokenLocation().getByteOffset();
        if (value == JsonToken.VALUE_FALSE) {
          falsy.add(new int[] {at, at + 5});
        } else if (value == JsonToken.VALUE_NULL) {
          falsy.add(new int[] {at, at + 4});
        } else if (value != JsonToken.VALUE_TRUE) {
          oddIncludeUsage = true;
        }
      }
      p.skipChildren();
    }
    includeUsage = include;
  }

  /** Whether the (last) {@code stream_options} object has {@code include_usage: true}. */
  boolean includeUsage() {
    return includeUsage;
  }

  /**
   * Whether {@link #addInjection} can ask for usage: {@code stream_options} is absent, null, or
   * an object whose {@code include_usage} members are absent, false or null (and it appears
   * once). Another type or value is the client's to get wrong: the body is left alone.
   */
  boolean injectable() {
    if (occurrences == 0) {
      return true;
    }
    if (occurrences > 1) {
      return false;
    }
    return type == JsonToken.VALUE_NULL || type == JsonToken.START_OBJECT && !oddIncludeUsage;
  }

  /**
   * Adds the edits that make the body ask for {@code stream_options.include_usage = true};
   * {@code closeBrace} is the offset of the top-level object's closing brace. Call only when
   * {@link #injectable()} and not {@link #includeUsage()}.
   */
  void addInjection(BodyEdits edits, int closeBrace) {
    if (occurrences == 0) {
      edits.insert(closeBrace, FIELD); // a body always has a field before it: its model
    } else if (type == JsonToken.VALUE_NULL) {
      edits.replace(start, start + 4, OBJECT);
    } else if (falsy.isEmpty()) {
      edits.insert(start + 1, hasFields ? MEMBER_FIRST : MEMBER);
    } else {
      for (int[] span : falsy) {
        edits.replace(span[0], span[1], TRUE);
      }
    }
  }
}
