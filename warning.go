package ksef

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// SystemWarning is one warning from the X-System-Warning response header,
// which KSeF (since 2.6.0) sends as "[code]: message | [code]: message".
type SystemWarning struct {
	// Code is the warning code without brackets, e.g. "sig-001"; empty when
	// the entry had none.
	Code string
	// Message is the warning text.
	Message string
	// Method and Path identify the request (Path is the spec's template).
	Method, Path string
}

// ParseSystemWarnings parses an X-System-Warning header value.
func ParseSystemWarnings(v string) []SystemWarning {
	var out []SystemWarning
	for part := range strings.SplitSeq(v, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var w SystemWarning
		if strings.HasPrefix(part, "[") {
			if end := strings.IndexByte(part, ']'); end > 0 {
				w.Code = strings.TrimSpace(part[1:end])
				part = strings.TrimSpace(part[end+1:])
				part = strings.TrimSpace(strings.TrimPrefix(part, ":"))
			}
		}
		w.Message = part
		if w.Code == "" && w.Message == "" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// handleWarnings logs the X-System-Warning entries of a response and
// passes them to the hook. The log attributes are sanitised (see
// [SanitizeText]); secrets the client holds are redacted from both.
func (c *Client) handleWarnings(ctx context.Context, r *request, h http.Header, secrets []Secret) {
	vals := h.Values("X-System-Warning")
	if len(vals) == 0 {
		return
	}
	for _, v := range vals {
		for _, w := range ParseSystemWarnings(redactString(v, secrets)) {
			w.Method, w.Path = r.info().Method, r.logPath()
			c.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "ksef system warning",
				slog.String("code", SanitizeText(w.Code)), slog.String("message", SanitizeText(w.Message)),
				slog.String("method", w.Method), slog.String("path", w.Path))
			if c.cfg.warningHook != nil {
				c.cfg.warningHook(w)
			}
		}
	}
}
