package io.oxllm.config;

/** A TOML file that does not parse; the message reads {@code line 12: <reason>}. */
public final class TomlSyntaxException extends RuntimeException {
  private final int line;

  public TomlSyntaxException(int line, String reason, Throwable cause) {
    super((line > 0 ? "line " + line + ": " : "") + reason, cause);
    this.line = line;
  }

  /** 1-based line of the error as reported by the parser, or -1 when unknown. */
  public int line() {
    return line;
  }
}
