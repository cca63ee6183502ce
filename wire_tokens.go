package ksef

import "time"

// TokenPermissionType is a permission a KSeF token can carry.
type TokenPermissionType string

// KSeF token permissions.
const (
	TokenPermInvoiceRead                TokenPermissionType = "InvoiceRead"
	TokenPermInvoiceWrite               TokenPermissionType = "InvoiceWrite"
	TokenPermCredentialsRead            TokenPermissionType = "CredentialsRead"
	TokenPermCredentialsManage          TokenPermissionType = "CredentialsManage"
	TokenPermSubunitManage              TokenPermissionType = "SubunitManage"
	TokenPermEnforcementOperations      TokenPermissionType = "EnforcementOperations"
	TokenPermIntrospection              TokenPermissionType = "Introspection"
	TokenPermCollectiveIdentifierManage TokenPermissionType = "CollectiveIdentifierManage"
)

// AuthenticationTokenStatus is the lifecycle state of a KSeF token.
type AuthenticationTokenStatus string

// KSeF token states.
const (
	TokenPending  AuthenticationTokenStatus = "Pending"
	TokenActive   AuthenticationTokenStatus = "Active"
	TokenRevoking AuthenticationTokenStatus = "Revoking"
	TokenRevoked  AuthenticationTokenStatus = "Revoked"
	TokenFailed   AuthenticationTokenStatus = "Failed"
)

// TokenAuthorIdentifierType is the kind of identifier of a token's author.
type TokenAuthorIdentifierType string

// Token author identifier types.
const (
	TokenAuthorNip         TokenAuthorIdentifierType = "Nip"
	TokenAuthorPesel       TokenAuthorIdentifierType = "Pesel"
	TokenAuthorFingerprint TokenAuthorIdentifierType = "Fingerprint"
)

// TokenAuthorIdentifierTypeIdentifier identifies the author of a KSeF token.
type TokenAuthorIdentifierTypeIdentifier struct {
	// Type is the identifier type.
	Type TokenAuthorIdentifierType `json:"type"`
	// Value is the identifier.
	Value string `json:"value"`
}

// TokenContextIdentifierType is the kind of context a KSeF token works in.
type TokenContextIdentifierType string

// Token context identifier types.
const (
	TokenContextNip        TokenContextIdentifierType = "Nip"
	TokenContextInternalID TokenContextIdentifierType = "InternalId"
	TokenContextNipVatUe   TokenContextIdentifierType = "NipVatUe"
	TokenContextPeppolID   TokenContextIdentifierType = "PeppolId"
)

// TokenContextIdentifierTypeIdentifier identifies the context of a KSeF token.
type TokenContextIdentifierTypeIdentifier struct {
	// Type is the identifier type.
	Type TokenContextIdentifierType `json:"type"`
	// Value is the identifier.
	Value string `json:"value"`
}

// GenerateTokenRequest is the body of POST /tokens.
type GenerateTokenRequest struct {
	// Permissions are the permissions of the new token.
	Permissions []TokenPermissionType `json:"permissions"`
	// Description is a description of 5 to 256 characters.
	Description string `json:"description"`
}

// GenerateTokenResponse is the 202 body of POST /tokens.
type GenerateTokenResponse struct {
	// ReferenceNumber identifies the token.
	ReferenceNumber string `json:"referenceNumber"`
	// Token is the KSeF token (at most 160 characters); it is shown once and
	// prints as "REDACTED".
	Token Secret `json:"token"`
}

// TokenStatusResponse is the body of GET /tokens/{referenceNumber}.
type TokenStatusResponse struct {
	// ReferenceNumber identifies the token.
	ReferenceNumber string `json:"referenceNumber"`
	// AuthorIdentifier identifies who generated the token.
	AuthorIdentifier TokenAuthorIdentifierTypeIdentifier `json:"authorIdentifier"`
	// ContextIdentifier is the context the token works in.
	ContextIdentifier TokenContextIdentifierTypeIdentifier `json:"contextIdentifier"`
	// Description is the token's description.
	Description string `json:"description"`
	// RequestedPermissions are the token's permissions.
	RequestedPermissions []TokenPermissionType `json:"requestedPermissions"`
	// DateCreated is when the token was generated.
	DateCreated time.Time `json:"dateCreated"`
	// LastUseDate is when the token was last used.
	LastUseDate *time.Time `json:"lastUseDate,omitempty"`
	// Status is the token state.
	Status AuthenticationTokenStatus `json:"status"`
	// StatusDetails optionally explain Status.
	StatusDetails []string `json:"statusDetails,omitempty"`
}

// QueryTokensResponseItem is one KSeF token in a GET /tokens page.
type QueryTokensResponseItem struct {
	// ReferenceNumber identifies the token.
	ReferenceNumber string `json:"referenceNumber"`
	// AuthorIdentifier identifies who generated the token.
	AuthorIdentifier TokenAuthorIdentifierTypeIdentifier `json:"authorIdentifier"`
	// ContextIdentifier is the context the token works in.
	ContextIdentifier TokenContextIdentifierTypeIdentifier `json:"contextIdentifier"`
	// Description is the token's description.
	Description string `json:"description"`
	// RequestedPermissions are the token's permissions.
	RequestedPermissions []TokenPermissionType `json:"requestedPermissions"`
	// DateCreated is when the token was generated.
	DateCreated time.Time `json:"dateCreated"`
	// LastUseDate is when the token was last used.
	LastUseDate *time.Time `json:"lastUseDate,omitempty"`
	// Status is the token state.
	Status AuthenticationTokenStatus `json:"status"`
	// StatusDetails optionally explain Status.
	StatusDetails []string `json:"statusDetails,omitempty"`
}

// QueryTokensResponse is one page of GET /tokens.
type QueryTokensResponse struct {
	// ContinuationToken, when non-empty, fetches the next page (sent in the
	// x-continuation-token request header).
	ContinuationToken string `json:"continuationToken,omitempty"`
	// Tokens are the tokens of this page.
	Tokens []QueryTokensResponseItem `json:"tokens"`
}
