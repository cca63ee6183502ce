// Package ksef is a Go client for KSeF 2.0, Poland's National e-Invoice
// System (Krajowy System e-Faktur), API version 2.8.1.
//
// A [Client] talks to one environment (Test, Demo or Production, or a custom
// base URL such as the local simulator in package ksefsim). Authentication
// uses either an XAdES-signed AuthTokenRequest (package xades signs it with
// any crypto.Signer) or a KSeF token; the authenticated client refreshes its
// access token by itself.
//
// Errors returned by the KSeF API are *[APIError] values; use errors.Is with
// the sentinel errors ([ErrUnauthorized], [ErrForbidden], [ErrNotFound],
// [ErrGone], [ErrRateLimited]) for the class of failure and errors.As for the
// detail. Failures reported inside a successful response body (authentication,
// session and invoice status codes) are *[StatusError] values.
package ksef
