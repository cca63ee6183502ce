package ksef

import "log/slog"

// redacted is what a [Secret] prints as.
const redacted = "REDACTED"

// Secret is a credential: an access, refresh or authentication token, or a
// KSeF token. It marshals to JSON as its plain value (it is sent on the
// wire), but prints and logs as "REDACTED" so that it never leaks through
// fmt, log/slog or error strings. Use [Secret.Reveal] to get the value.
type Secret string

// String returns "REDACTED" (or "" for an empty secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns a redacted Go representation, used by the %#v verb.
func (s Secret) GoString() string {
	return `ksef.Secret("` + s.String() + `")`
}

// LogValue implements [slog.LogValuer]; the value is always "REDACTED".
func (s Secret) LogValue() slog.Value {
	return slog.StringValue(redacted)
}

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }
