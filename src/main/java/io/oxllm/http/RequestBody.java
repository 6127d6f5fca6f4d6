package io.oxllm.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.oxllm.config.ModelNames;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * What the gateway needs from a request body, found by one streaming walk over the top-level
 * fields (no tree is built; values it does not need are skipped): {@code model} with its byte
 * offsets, {@code stream} and {@code stream_options.include_usage}. The body itself is forwarded as
 * the client sent it; only the bytes of the {@code model} value are replaced and, when the gateway
 * asks for stream usage, {@code include_usage} is spliced in, so unknown fields and the exact text
 * of numbers pass through untouched.
 */
public final class RequestBody {
  /**
   * Without interning: Jackson's default {@code String.intern}s every field name new to its name
   * table, skipped ones too; a 10 MB body of 850k distinct keys took over a second of the event loop
   * that way (docs/performance-history.md). The names the gateway reads are compared with
   * {@code equals}.
   * (Turning the name table off instead would make Jackson decode to chars and lose byte offsets.)
   * {@link EchoRequest} reads with it too.
   */
  static final JsonFactory JSON = JsonFactory.builder().disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build();

  private final Buffer raw;
  private final String model;
  private final int modelStart;
  private final int modelEnd;
  private final boolean stream;
  private final int choices;
  private final StreamOptions options;
  private final int closeBrace; // byte offset of the top-level object's closing brace

  private RequestBody(Buffer raw, String model, int modelStart, int modelEnd, boolean stream, int choices,
      StreamOptions options, int closeBrace) {
    this.raw = raw;
    this.model = model;
    this.modelStart = modelStart;
    this.modelEnd = modelEnd;
    this.stream = stream;
    this.choices = choices;
    this.options = options;
    this.closeBrace = closeBrace;
  }

  /** Thrown for a body the gateway refuses; carries the error to answer with. */
  public static final class Rejected extends Exception {
    private final transient ApiError error;

    Rejected(ApiError error) {
      super(error.message(), null, false, false);
      this.error = error;
    }

    public ApiError error() {
      return error;
    }
  }

  /** Inspects a complete body: 400 {@code invalid_json} or {@code missing_model} when it is unusable. */
  public static RequestBody inspect(Buffer raw) throws Rejected {
    return inspect(raw, true);
  }

  /**
   * As {@link #inspect(Buffer)}; {@code streams} false for an endpoint that never streams
   * (embeddings), where a {@code "stream": true} is passed on as sent but read as no stream: the
   * gateway asked such an upstream for stream usage and logged the request as a stream.
   */
  public static RequestBody inspect(Buffer raw, boolean streams) throws Rejected {
    byte[] bytes = raw.getBytes();
    int bad = Utf8.firstInvalid(bytes);
    if (bad >= 0) {
      throw new Rejected(ApiError.invalidJson("invalid UTF-8 at byte " + bad));
    }
    // A NUL byte is never valid JSON text, and without this check Jackson would guess UTF-16/32
    // from zero bytes and parse characters, losing the byte offsets the model splice needs.
    int nul = indexOfNul(bytes);
    if (nul >= 0) {
      throw new Rejected(ApiError.invalidJson("NUL byte at " + nul + " (the body must be UTF-8 JSON)"));
    }
    String model = null;
    boolean modelSeen = false;
    int start = -1;
    int end = -1;
    boolean stream = false;
    int choices = 1;
    StreamOptions options = new StreamOptions();
    int closeBrace;
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new Rejected(ApiError.invalidJson("the body must be a JSON object"));
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("model".equals(name)) {
          if (modelSeen) {
            throw new Rejected(ApiError.invalidJson("the field 'model' appears more than once"));
          }
          modelSeen = true;
          if (value == JsonToken.VALUE_STRING) {
            start = (int) p.currentTokenLocation().getByteOffset();
            model = p.getText();
            end = (int) p.currentLocation().getByteOffset();
          } else {
            p.skipChildren();
          }
        } else if ("stream".equals(name)) {
          stream = streams && value == JsonToken.VALUE_TRUE;
          p.skipChildren();
        } else if ("stream_options".equals(name)) {
          options.read(p);
        } else if ("n".equals(name)) {
          choices = choices(p, value);
          p.skipChildren();
        } else {
          p.skipChildren();
        }
      }
      closeBrace = (int) p.currentTokenLocation().getByteOffset(); // at the top level's END_OBJECT
      if (p.nextToken() != null) {
        throw new Rejected(ApiError.invalidJson("unexpected content after the JSON object"));
      }
    } catch (IOException e) {
      throw new Rejected(ApiError.invalidJson(firstLine(e.getMessage())));
    }
    if (model == null || model.isEmpty()) {
      throw new Rejected(ApiError.missingModel());
    }
    if (ModelNames.hasControlCharacter(model)) {
      // no model is named so, and the name goes back in the x-oxllm-model header, where Vert.x
      // refuses it: it would cost the client a 500
      throw new Rejected(ApiError.invalidModel());
    }
    if (ModelNames.hasLoneSurrogate(model)) {
      throw new Rejected(ApiError.modelNotUnicode()); // it could not be written into the upstream's body
    }
    if (ModelNames.tooLongForARequest(model)) {
      throw new Rejected(ApiError.modelTooLong(ModelNames.MAX_REQUEST_LENGTH));
    }
    return new RequestBody(raw, model, start, end, stream, choices, options, closeBrace);
  }

  private static int indexOfNul(byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        return i;
      }
    }
    return -1;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed JSON";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /**
   * {@code n} as an upstream reads it: an integer, or a number of integral value (Pydantic, in
   * vLLM, takes 2.0 as 2); one too large for an int as the largest (no stream can show that many
   * finished, so one without [DONE] is never taken as whole); anything else, or below 1, as 1.
   */
  private static int choices(JsonParser p, JsonToken value) throws IOException {
    if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
      return 1;
    }
    double d = p.getDoubleValue();
    if (d != Math.rint(d) || d < 1) {
      return 1;
    }
    return d >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) d;
  }

  /** The requested model. */
  public String model() {
    return model;
  }

  public boolean stream() {
    return stream;
  }

  /**
   * The choices asked for ({@code n}; 1 when absent or not a positive integer): a stream that ends
   * without {@code [DONE]} is complete only once each has its {@code finish_reason}.
   */
  public int choices() {
    return choices;
  }

  /** Whether the client asked for {@code stream_options.include_usage = true}. */
  public boolean includeUsage() {
    return options.includeUsage();
  }

  /** The body as received. */
  public Buffer raw() {
    return raw;
  }

  /**
   * The body to send for {@code upstreamModel}: the original buffer when the name is unchanged,
   * else a copy in which only the bytes of the {@code model} value differ.
   */
  public Buffer withModel(String upstreamModel) {
    return forUpstream(upstreamModel, false);
  }

  /**
   * Whether {@link #forUpstream} with this {@code inject_stream_usage} setting asks the upstream
   * for usage the client did not ask for: a stream without {@code include_usage: true} whose
   * {@code stream_options} is absent, null or an object. The usage-only chunk must then be
   * removed from the response.
   */
  public boolean wouldInjectUsage(boolean injectSetting) {
    return injectSetting && stream && !options.includeUsage() && options.injectable();
  }

  /**
   * The body to send upstream, with all edits spliced in one pass: the {@code model} value when
   * the upstream name differs and, when {@link #wouldInjectUsage} says so,
   * {@code stream_options.include_usage = true} (added, or replacing a false or null). The
   * original buffer when nothing changes.
   */
  public Buffer forUpstream(String upstreamModel, boolean injectUsage) {
    BodyEdits edits = new BodyEdits();
    if (!upstreamModel.equals(model)) {
      byte[] quoted = JsonStringEncoder.getInstance().quoteAsUTF8(upstreamModel);
      byte[] token = new byte[quoted.length + 2];
      token[0] = '"';
      System.arraycopy(quoted, 0, token, 1, quoted.length);
      token[token.length - 1] = '"';
      edits.replace(modelStart, modelEnd, token);
    }
    if (wouldInjectUsage(injectUsage)) {
      options.addInjection(edits, closeBrace);
    }
    return edits.applyTo(raw);
  }
}
