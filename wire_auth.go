package ksef

import "time"

// This file holds the JSON wire types of the authentication operations
// (tag "Uzyskiwanie dostępu" and "Aktywne sesje" of the KSeF API). Each type
// is named exactly like its schema in components.schemas of the official
// OpenAPI document and carries exactly the schema's properties.

// AuthenticationChallengeResponse is the body of a successful
// POST /auth/challenge: a one-time challenge valid for 10 minutes.
type AuthenticationChallengeResponse struct {
	// Challenge is the 36-character challenge, e.g.
	// "20250625-CR-20F5EE4000-DA48AE4124-46".
	Challenge string `json:"challenge"`
	// Timestamp is the server time of the challenge.
	Timestamp time.Time `json:"timestamp"`
	// TimestampMs is Timestamp as Unix milliseconds; it is the value to
	// append to a KSeF token before encryption ("token|timestampMs").
	TimestampMs int64 `json:"timestampMs"`
	// ClientIP is the client IP address as KSeF sees it.
	ClientIP string `json:"clientIp"`
}

// AuthenticationInitResponse is the 202 body of POST /auth/xades-signature and
// POST /auth/ksef-token: the reference number of the authentication operation
// and the operation token used to poll its status and redeem it.
type AuthenticationInitResponse struct {
	// ReferenceNumber identifies the authentication operation.
	ReferenceNumber string `json:"referenceNumber"`
	// AuthenticationToken is the operation token (Bearer for
	// GET /auth/{referenceNumber} and POST /auth/token/redeem).
	AuthenticationToken TokenInfo `json:"authenticationToken"`
}

// TokenInfo is a JWT issued by KSeF together with its expiry.
type TokenInfo struct {
	// Token is the JWT; it prints as "REDACTED".
	Token Secret `json:"token"`
	// ValidUntil is the expiry of Token.
	ValidUntil time.Time `json:"validUntil"`
}

// AuthenticationContextIdentifierType is the kind of context an
// authentication is performed in.
type AuthenticationContextIdentifierType string

// Context identifier types.
const (
	ContextNip        AuthenticationContextIdentifierType = "Nip"
	ContextInternalID AuthenticationContextIdentifierType = "InternalId"
	ContextNipVatUe   AuthenticationContextIdentifierType = "NipVatUe"
	ContextPeppolID   AuthenticationContextIdentifierType = "PeppolId"
)

// AuthenticationContextIdentifier names the context (taxpayer, internal
// identifier, EU entity or Peppol provider) an authentication is for.
type AuthenticationContextIdentifier struct {
	// Type is the identifier type.
	Type AuthenticationContextIdentifierType `json:"type"`
	// Value is the identifier, e.g. a NIP.
	Value string `json:"value"`
}

// AllowedIps restricts the IPv4 addresses from which the tokens obtained by
// an authentication may be used. Each list holds at most 10 entries.
type AllowedIps struct {
	// Ip4Addresses are single addresses, e.g. "192.168.0.1".
	Ip4Addresses []string `json:"ip4Addresses,omitempty"`
	// Ip4Ranges are inclusive ranges, e.g. "10.0.0.1-10.0.0.20".
	Ip4Ranges []string `json:"ip4Ranges,omitempty"`
	// Ip4Masks are CIDR blocks, e.g. "10.1.0.0/16".
	Ip4Masks []string `json:"ip4Masks,omitempty"`
}

// AuthorizationPolicy is the optional policy attached to an authentication.
type AuthorizationPolicy struct {
	// AllowedIps, when set, restricts the client addresses.
	AllowedIps *AllowedIps `json:"allowedIps,omitempty"`
}

// InitTokenAuthenticationRequest is the body of POST /auth/ksef-token.
type InitTokenAuthenticationRequest struct {
	// Challenge is the challenge from POST /auth/challenge.
	Challenge string `json:"challenge"`
	// ContextIdentifier is the context to authenticate in.
	ContextIdentifier AuthenticationContextIdentifier `json:"contextIdentifier"`
	// EncryptedToken is Base64(RSA-OAEP-SHA256("token|timestampMs")) made
	// with the MF key whose usage is KsefTokenEncryption.
	EncryptedToken string `json:"encryptedToken"`
	// PublicKeyID is the publicKeyId (44-character Base64) of the key used.
	PublicKeyID string `json:"publicKeyId,omitempty"`
	// AuthorizationPolicy optionally restricts client addresses.
	AuthorizationPolicy *AuthorizationPolicy `json:"authorizationPolicy,omitempty"`
}

// AuthenticationMethod is the deprecated (removal 2026-11-16) method field of
// authentication status responses; use [AuthenticationMethodInfo].
type AuthenticationMethod string

// Authentication methods.
const (
	AuthMethodToken               AuthenticationMethod = "Token"
	AuthMethodTrustedProfile      AuthenticationMethod = "TrustedProfile"
	AuthMethodInternalCertificate AuthenticationMethod = "InternalCertificate"
	AuthMethodQualifiedSignature  AuthenticationMethod = "QualifiedSignature"
	AuthMethodQualifiedSeal       AuthenticationMethod = "QualifiedSeal"
	AuthMethodPersonalSignature   AuthenticationMethod = "PersonalSignature"
	AuthMethodPeppolSignature     AuthenticationMethod = "PeppolSignature"
)

// AuthenticationMethodCategory groups authentication methods.
type AuthenticationMethodCategory string

// Authentication method categories.
const (
	AuthCategoryXadesSignature AuthenticationMethodCategory = "XadesSignature"
	AuthCategoryNationalNode   AuthenticationMethodCategory = "NationalNode"
	AuthCategoryToken          AuthenticationMethodCategory = "Token"
	AuthCategoryOther          AuthenticationMethodCategory = "Other"
)

// AuthenticationMethodInfo describes how a subject authenticated.
type AuthenticationMethodInfo struct {
	// Category is the method category.
	Category AuthenticationMethodCategory `json:"category"`
	// Code is the method code, e.g. "QualifiedSignature".
	Code string `json:"code"`
	// DisplayName is a human-readable name (Polish).
	DisplayName string `json:"displayName"`
}

// StatusInfo is a status code with its description, reported inside a
// successful response body (see [StatusError]).
type StatusInfo struct {
	// Code is the status code, e.g. 100 (in progress) or 200 (success).
	Code int `json:"code"`
	// Description is the description of Code (Polish).
	Description string `json:"description"`
	// Details are optional additional details.
	Details []string `json:"details,omitempty"`
}

// AuthenticationOperationStatusResponse is the body of
// GET /auth/{referenceNumber}.
type AuthenticationOperationStatusResponse struct {
	// StartDate is when the authentication started.
	StartDate time.Time `json:"startDate"`
	// AuthenticationMethod is deprecated; use AuthenticationMethodInfo.
	AuthenticationMethod AuthenticationMethod `json:"authenticationMethod"`
	// AuthenticationMethodInfo describes the authentication method.
	AuthenticationMethodInfo AuthenticationMethodInfo `json:"authenticationMethodInfo"`
	// Status is the operation status: 100 in progress, 200 success, ≥400
	// failure (see [AuthStatusCode]).
	Status StatusInfo `json:"status"`
	// IsTokenRedeemed reports whether the tokens were already redeemed.
	IsTokenRedeemed *bool `json:"isTokenRedeemed,omitempty"`
	// LastTokenRefreshDate is the last access-token refresh.
	LastTokenRefreshDate *time.Time `json:"lastTokenRefreshDate,omitempty"`
	// RefreshTokenValidUntil is the expiry of the refresh token.
	RefreshTokenValidUntil *time.Time `json:"refreshTokenValidUntil,omitempty"`
}

// AuthenticationTokensResponse is the body of POST /auth/token/redeem.
type AuthenticationTokensResponse struct {
	// AccessToken authorises API calls (valid for minutes).
	AccessToken TokenInfo `json:"accessToken"`
	// RefreshToken obtains new access tokens (valid up to 7 days).
	RefreshToken TokenInfo `json:"refreshToken"`
}

// AuthenticationTokenRefreshResponse is the body of POST /auth/token/refresh.
type AuthenticationTokenRefreshResponse struct {
	// AccessToken is the new access token.
	AccessToken TokenInfo `json:"accessToken"`
}

// AuthenticationListItem is one active authentication session.
type AuthenticationListItem struct {
	// StartDate is when the authentication started.
	StartDate time.Time `json:"startDate"`
	// AuthenticationMethod is deprecated; use AuthenticationMethodInfo.
	AuthenticationMethod AuthenticationMethod `json:"authenticationMethod"`
	// AuthenticationMethodInfo describes the authentication method.
	AuthenticationMethodInfo AuthenticationMethodInfo `json:"authenticationMethodInfo"`
	// Status is the authentication status.
	Status StatusInfo `json:"status"`
	// IsTokenRedeemed reports whether the tokens were already redeemed.
	IsTokenRedeemed *bool `json:"isTokenRedeemed,omitempty"`
	// LastTokenRefreshDate is the last access-token refresh.
	LastTokenRefreshDate *time.Time `json:"lastTokenRefreshDate,omitempty"`
	// RefreshTokenValidUntil is the expiry of the refresh token.
	RefreshTokenValidUntil *time.Time `json:"refreshTokenValidUntil,omitempty"`
	// ReferenceNumber identifies the authentication session.
	ReferenceNumber string `json:"referenceNumber"`
	// IsCurrent reports whether this is the session of the calling token.
	IsCurrent bool `json:"isCurrent,omitempty"`
}

// AuthenticationListResponse is one page of GET /auth/sessions.
type AuthenticationListResponse struct {
	// ContinuationToken, when non-empty, fetches the next page (sent in the
	// x-continuation-token request header).
	ContinuationToken string `json:"continuationToken,omitempty"`
	// Items are the sessions of this page.
	Items []AuthenticationListItem `json:"items"`
}
