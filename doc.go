// Package ksef is a Go client for KSeF 2.0, Poland's National e-Invoice
// System (Krajowy System e-Faktur), API version 2.8.1.
//
// # Environments
//
// A [Client] talks to one environment: [Test] (the default; it accepts
// self-signed certificates), [Demo] or [Production]. There is no silent
// production default. [WithBaseURL] points the client anywhere else, for
// example at the local simulator of package ksefsim:
//
//	c, err := ksef.NewClient(ksef.WithEnvironment(ksef.Test))
//	c, err := ksef.NewClient(ksef.WithBaseURL("http://127.0.0.1:8080/v2"))
//
// Other options set the HTTP client ([WithHTTPClient]), a *slog.Logger
// ([WithLogger]; discarded by default), the retry policy ([WithRetry]), the
// User-Agent, a hook for X-System-Warning headers
// ([WithSystemWarningHook]) and RFC 7807 error bodies ([WithProblemDetails]).
// A Client is safe for concurrent use.
//
// # Authentication
//
// KSeF authenticates a subject (a person, a company seal, a certificate
// fingerprint or a KSeF token) in a context ([ContextIdentifier]: a NIP, an
// internal identifier, an EU entity or a Peppol provider; see [NIPContext],
// [InternalIDContext], [NipVatUeContext], [PeppolIDContext], which validate
// the identifier, and [MustContext] for constants). The login methods run
// the whole flow (challenge, signed or encrypted request, status polling,
// token redemption) and return an [AuthenticatedClient]:
//
//	ctxID, err := ksef.NIPContext("5265877635")
//	auth, err := c.Auth.LoginWithCertificate(ctx, ctxID, cert, key, nil)
//	auth, err := c.Auth.LoginWithToken(ctx, ctxID, ksefToken, nil)
//	auth, err := c.Auth.LoginWithSignFunc(ctx, ctxID, hsmSign, nil)
//
// LoginWithCertificate signs the AuthTokenRequest document with package
// xades using any crypto.Signer (RSA or ECDSA P-256); LoginWithSignFunc
// leaves the signature to an external signer. LoginWithToken encrypts
// "token|timestampMs" with the Ministry of Finance key (RSA-OAEP SHA-256)
// and, when KSeF reports the key as withdrawn (code 21470), downloads the
// keys again and retries once.
//
// The authenticated client embeds a [Client] (Auth, PublicKeys, TestData)
// and adds the services that need an access token (Tokens, AuthSessions,
// Sessions),
// which an unauthenticated *Client does not have. It sends its access
// token, renews it with the refresh token shortly before it expires
// and once after a 401, with a single renewal in flight for any number of
// goroutines. Its [TokenManager] exposes the tokens, so that a program can
// store them and later resume without logging in again ([AuthService.Resume];
// [AuthService.ResumeWith] takes any [Authenticator]).
// Failed authentications are *[StatusError] values matching
// [ErrAuthNoPermissions], [ErrAuthInvalidToken], [ErrAuthCertificate],
// [ErrAuthBlocked] and the like.
//
// The lower-level steps are available too: [AuthService.Challenge],
// [AuthService.InitXades], [AuthService.InitToken], [AuthService.Status],
// [AuthService.Wait], [AuthService.Redeem], [AuthService.Refresh], and the
// authentication sessions ([AuthSessionsService.ListAll],
// [AuthSessionsService.Revoke], [AuthSessionsService.RevokeCurrent]).
// KSeF tokens are generated with [TokensService.Generate] and awaited with
// [TokensService.WaitActive].
//
// # Sending invoices
//
// [SessionsService.OpenOnline] opens an online session for a [Form] with a
// fresh AES-256 key; [OnlineSession.SendInvoice] encrypts and sends one
// invoice and documents every outcome: a lost answer (5xx, dropped
// connection, timeout) is resolved by listing the session's invoices and
// matching the invoice hash, never by sending blindly again; a duplicate
// (status 440) is reported by [AsDuplicate] with the original KSeF number.
// [OnlineSession.WaitInvoice] and [OnlineSession.Wait] wait for the KSeF
// number and for the session's UPO pages; [OnlineSession.State] and
// [SessionsService.ResumeOnline] carry a session to another process (the key
// is a [Secret]). UPOs are downloaded with [SessionsService.InvoiceUPO],
// [SessionsService.UPO] and [SessionsService.UPOPage] and verified with
// package upo. Package ksefsend sends a stream of invoices with one outcome
// per invoice.
//
// # Receiving invoices
//
// [InvoicesService.Download] fetches one invoice by KSeF number and checks
// it against x-ms-meta-hash ([ErrInvoiceNotFound] for 21164,
// [ErrInvoiceNotYetAvailable] for 21165, which [InvoicesService.WaitDownload]
// waits out); [ParseInvoice] reads it into the fa3, fa2 or farr model.
// [InvoicesService.QueryMetadata] returns one page of metadata after
// checking the filters locally ([ValidateFilters]: 100-day UTC range, page
// size 10-250); [InvoicesService.QueryMetadataAll] iterates over every
// record, moving the date window when KSeF truncates at 10,000 and
// yielding each invoice once. [InvoicesService.Export] schedules an export
// with a fresh key (never more than [MaxConcurrentExports] per context),
// [InvoicesService.WaitExport] waits for its package (failures as a
// *[StatusError]: [ErrExportExpired], [ErrExportKeyDecryption],
// [ErrExportFromAfterHWM], ...), and [InvoicesService.DownloadExport]
// downloads the parts concurrently, verifies, decrypts, joins and unpacks
// them in a stream to a directory or a callback per invoice, matching
// _metadata.json; [InvoicesService.RunExport] does all three and re-issues
// an export stuck at status 100.
//
// # Services
//
// Services are pointer fields of the client, grouped by KSeF area:
// c.Auth, c.PublicKeys and c.TestData on every client, a.Tokens,
// a.AuthSessions, a.Sessions and a.Invoices on an authenticated one (batch
// sessions, permissions, certificates, limits, Peppol
// and collective identifiers are not implemented yet). Every method that calls an API
// operation says which one in a "KSeF API: METHOD /path" line of its
// documentation. Methods take a context first, optional input in a params
// struct (nil for defaults) and return (*T, error). Lists have a page method
// and an iterator (iter.Seq2) that follows continuation tokens; asynchronous
// operations have waiters ([WaitOptions]) bounded by WaitOptions.Timeout
// (default [DefaultWaitTimeout], then a *[WaitTimeoutError] naming what was
// awaited and the last status) and by the context.
//
// # Transport, retries and logging
//
// The client retries what is safe to retry, as the operation table says
// ([OperationInfo].RetrySafe): 429 for every operation (KSeF's limiter
// refuses before processing) and a connection that could not be made,
// after the delay in Retry-After (seconds or an HTTP date) or an
// exponential backoff with full jitter; 502, 503, 504, dropped connections
// and timeouts only for operations safe to repeat (reads, the challenge,
// the token refresh, the idempotent DELETEs). A state-changing operation
// is never repeated after such a failure: it returns an
// *[OutcomeUnknownError] (errors.Is [ErrOutcomeUnknown]) that says what to
// check. Redirects are never followed, so the Authorization header cannot
// follow one; a response body that pauses longer than
// [WithBodyIdleTimeout] (default one minute) fails with
// [ErrBodyIdleTimeout]. Rate-limit blocks on KSeF can last an hour;
// when Retry-After exceeds [RetryPolicy].MaxDelay the client does not wait
// a shorter time but returns the error with APIError.RetryAfter set.
// Request bodies are replayed on every attempt; sleeps end with the
// context.
//
// The client also paces itself: a sliding-window limiter per rate-limit
// group ([RateLimitGroup], [DefaultRateLimits]) and per authenticated
// context keeps a well-behaved program from ever seeing a 429, and after a
// 429 the whole group waits for Retry-After. Pacing is on for the public
// environments; [WithRateLimits] turns it on elsewhere (or sets custom
// limits) and [WithoutPacing] turns it off.
//
// With a logger set, the client writes one Debug record per HTTP attempt
// (method, path template, status, duration, attempt) and a Warn record per
// X-System-Warning. Tokens, the Authorization header, keys, invoice content
// and pre-signed URLs are never logged; credentials are [Secret] values
// that print and log as "REDACTED", and the tokens the client holds are
// redacted from error bodies ([APIError].Body), error strings and
// warnings. Server-provided text in Error() strings and log attributes is
// escaped by [SanitizeText] (control characters, ANSI/OSC sequences,
// bidirectional overrides).
//
// # Errors
//
// Errors returned by the KSeF API are *[APIError] values decoded from
// either error format (the legacy ExceptionResponse and
// application/problem+json), including an empty 403 from the web
// application firewall. Use errors.Is with the sentinel errors
// ([ErrUnauthorized], [ErrForbidden], [ErrNotFound], [ErrGone],
// [ErrRateLimited]) for the class of failure, [IsCode] or
// [APIError.HasCode] for a KSeF exception code ([ExceptionCode], with an
// English description), and errors.As for the detail. Failures reported
// inside a successful response body (authentication, session and invoice
// status codes) are *[StatusError] values. All error strings start with
// "ksef:" and never contain tokens.
//
// # Wire types
//
// The JSON bodies are Go structs named exactly like the schemas of the
// official OpenAPI document (for example [AuthenticationChallengeResponse],
// [InitTokenAuthenticationRequest], [PublicKeyCertificate],
// [ExceptionResponse]), with exactly their properties; enumerations are
// typed string constants. The XML document signed for XAdES authentication
// is [AuthTokenRequest] (namespace 2.1; [ParseAuthTokenRequest] reads 2.0
// as well).
//
// # Identifiers
//
// NIP, PESEL, internal identifiers, NIP-VAT UE, Peppol IDs, KSeF numbers
// and collective identifiers have types with checksum validation and
// random valid generators for tests (see [ParseNIP], [ParseKSeFNumber]).
//
// # Test data
//
// On the TEST environment and the simulator, c.TestData creates subjects
// and persons, grants permissions the way a ZAW-FA filing would, and blocks
// contexts ([TestDataService]).
package ksef
