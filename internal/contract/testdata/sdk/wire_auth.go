package sdk

import "time"

// AuthenticationChallengeResponse matches its schema.
type AuthenticationChallengeResponse struct {
	Challenge   string    `json:"challenge"`
	Timestamp   time.Time `json:"timestamp"`
	TimestampMs int64     `json:"timestampMs"`
	ClientIP    string    `json:"clientIp"`
	internal    int
	Ignored     string `json:"-"`
}

type contextPart struct {
	Type  ContextType `json:"type"`
	Value string      `json:"value,omitempty"`
}

// ContextType is an enum.
type ContextType string

// AuthenticationContextIdentifier embeds its fields; value is omitempty
// although required in a request schema.
type AuthenticationContextIdentifier struct {
	contextPart
}

// TokenInfo has a wrong kind, a missing and an extra property.
type TokenInfo struct {
	Token      Secret `json:"token"`
	ValidUntil int64  `json:"validUntil"`
	Extra      string `json:"extra,omitempty"`
}

// Secret marshals itself.
type Secret string

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return nil, nil }

// AuthenticationInitResponse misses authenticationToken.
type AuthenticationInitResponse struct {
	ReferenceNumber string `json:"referenceNumber"`
	Token           *TokenInfo
}

// NotASchema is a struct with no schema.
type NotASchema struct {
	A string `json:"a"`
}

// AuthenticationContextIdentifierType is an enum with a misspelt value.
type AuthenticationContextIdentifierType string

// Values.
const (
	CtxNip      AuthenticationContextIdentifierType = "Nip"
	CtxInternal AuthenticationContextIdentifierType = "InternalID"
	CtxNip2     AuthenticationContextIdentifierType = "Nip"
	notTyped                                        = "NipVatUe"
)
