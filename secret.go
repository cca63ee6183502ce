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

// The wire types that carry a [Secret] marshal it in clear as JSON, which is
// what slog's JSON handler uses for struct values; their LogValue methods
// make every slog handler print them with the secret redacted.

// LogValue implements [slog.LogValuer]: the token is "REDACTED".
func (t TokenInfo) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("token", t.Token), slog.Time("validUntil", t.ValidUntil))
}

// LogValue implements [slog.LogValuer]: the token is "REDACTED".
func (r AuthenticationInitResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("referenceNumber", r.ReferenceNumber),
		slog.Any("authenticationToken", r.AuthenticationToken))
}

// LogValue implements [slog.LogValuer]: the tokens are "REDACTED".
func (r AuthenticationTokensResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("accessToken", r.AccessToken), slog.Any("refreshToken", r.RefreshToken))
}

// LogValue implements [slog.LogValuer]: the token is "REDACTED".
func (r AuthenticationTokenRefreshResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("accessToken", r.AccessToken))
}

// LogValue implements [slog.LogValuer]: the token is "REDACTED".
func (r GenerateTokenResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("referenceNumber", r.ReferenceNumber), slog.Any("token", r.Token))
}
