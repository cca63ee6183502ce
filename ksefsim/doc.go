// Package ksefsim is a stateful, crypto-faithful simulator of the KSeF 2.0
// API (API 2.8.1), for tests, demos and offline development.
//
// A [Simulator] is an [net/http.Handler] serving the API under "/v2", as
// KSeF does. Package [github.com/ksef2/ksef/ksefsim/ksefsimtest] starts one
// on an httptest server for tests; the command "ksef sim serve" runs one
// with [Simulator.ListenAndServe].
//
//	srv := ksefsimtest.NewServer(t)                 // srv.URL ends in "/v2"
//	id, _ := srv.NewTestIdentity()                  // NIP + seal certificate
//	c, _ := ksef.NewClient(ksef.WithBaseURL(srv.URL))
//
// A program (no testing.TB) serves one on a listener of its own; [BaseURL]
// gives the URL to pass to ksef.WithBaseURL:
//
//	sim := ksefsim.New()
//	l, err := net.Listen("tcp", "127.0.0.1:0")
//	go sim.Serve(ctx, l)                     // until ctx is done
//	baseURL := ksefsim.BaseURL(l.Addr())     // "http://127.0.0.1:PORT/v2"
//	id, err := sim.NewTestIdentity()         // id.NIP, id.Certificate, id.Key
//
// What it does for real: it issues challenges valid for 10 minutes and
// usable once; verifies the XAdES signature of AuthTokenRequest documents
// (package xades: digests, signature value, SigningCertificate bound to
// KeyInfo, certificate validity, signing time); reads identities from
// certificates the way KSeF does (serialNumber "PNOPL-"/"TINPL-",
// organizationIdentifier "VATPL-", or the SHA-256 fingerprint); decrypts
// KSeF tokens ("token|timestampMs", RSA-OAEP SHA-256) with its own MF key
// and checks the timestamp against the challenge; issues JWTs with
// realistic lifetimes (authentication 45 min, access 15 min, refresh 7
// days); enforces who may log in to which context (the NIP itself, the
// PESEL linked to it with POST /testdata/person, or identities granted
// permissions with POST /testdata/permissions or, for any context type
// including NipVatUe and PeppolId, [Simulator.GrantPermissions]; status
// 415 otherwise),
// context blocks (480) and deceased persons (470); redeems tokens only once
// (21301); keeps authentication sessions that can be listed and revoked;
// generates KSeF tokens that can log in; publishes its own MF certificates
// (publicKeyId = Base64(SHA-256(SPKI))) and rotates them on demand
// ([Simulator.RotateKeys]; old ids get 21470).
//
// Online sessions (POST /sessions/online, …/invoices, …/close) accept the
// form codes of API 2.8.1 (FA (3), FA (2), FA_RR (1), PEF (3), PEF_KOR (3)),
// unwrap the session key with the simulator's SymmetricKeyEncryption key
// (unknown publicKeyId: 21470; a key that does not unwrap: session status
// 415), live 12 hours and take up to 10,000 invoices
// ([WithSessionInvoiceLimit]; 21155 beyond). Each invoice is decrypted and
// its sizes and hashes checked (21402/21403), then verified asynchronously
// (status 100/150, then the final status after [WithProcessingDelay]): 435
// when it does not decrypt; 430 for a BOM, another encoding, a processing
// instruction, malformed XML or a schema error of the session's form
// (packages fa3, fa2, farr; for PEF only well-formedness and the UBL root
// element); 415 for attachments; 410 when Podmiot1's NIP is not the
// context's; 450 when P_1 lies after the day of acceptance; 440 for a
// duplicate (seller NIP, RodzajFaktury, P_2) across sessions, with
// extensions originalKsefNumber and originalSessionReferenceNumber;
// otherwise 200 with a KSeF number (CRC-8, Polish calendar day). A closed
// session shows 170, then 200 with UPO pages (440 without invoices, 445
// without valid ones). UPOs (v4-3, per invoice and per session page of
// 10,000) are built with package upo and signed (enveloped XAdES) with the
// simulator's own key ([Simulator.UPOCertificate]); the pre-signed
// download URLs are served by the simulator itself under "/storage/upo/",
// without Authorization, and expire after 72 hours (403 then). GET /sessions
// supports every filter of the spec and continuation tokens.
//
// Errors come in both KSeF formats: the legacy ExceptionResponse, or
// application/problem+json when the request carries
// "X-Error-Format: problem-details" (401, 403 and 410 are always problem
// details). Rate limits are counted per context and client IP in sliding
// windows of a second, a minute and an hour, with the published limits per
// group ([DefaultRateLimits]; [WithRateLimits], [WithoutRateLimits]); a
// refused request gets 429 with Retry-After. Time comes from an injectable
// clock ([WithClock], [ManualClock]) and asynchronous work takes a
// configurable time ([WithProcessingDelay]), so tests are fast and
// deterministic. [Simulator.Faults] injects failures into the next calls of
// an operation: a status (e.g. 503), 429 with Retry-After, a delay, a
// dropped connection, or a failure reported after the work was done.
// [WithMiddleware] wraps the handler, e.g. to validate every exchange
// against the OpenAPI spec. [WithAdminAPI] adds a JSON control API under
// [AdminPath] (faults, clock, key rotation, test identities) for programs
// that talk to "ksef sim serve" from other languages.
//
// # Where the simulator is more lenient than KSeF
//
//	Area                      KSeF (PRD/DEMO)                          Simulator
//	Certificates              qualified (EUTL), Profil Zaufany,         any certificate, self-signed included
//	                          KSeF certificates; TEST: self-signed      (as on TEST)
//	Revocation                OCSP/CRL; status 100 while checking       never checked
//	verifyCertificateChain    chain + OCSP/CRL                          chain to WithTrustedRoots; none: 460
//	XAdES profiles            BES/EPES/T/LT/…, enveloping, many algs    what package xades verifies (enveloped)
//	XSD                       full schema validation                    structural checks of the same rules
//	Subjects                  only registered taxpayers                 any valid NIP owns its context
//	InternalId contexts       subunit administrators only               also the owner of the NIP part
//	Rate-limit penalties      Retry-After grows with violations         time until the window frees up
//	Test-data removal         unknown subject/person: not documented    removing an unknown one succeeds
//	Retention                 410 after 7 days                          the same, on the injected clock
//	Persistence               durable                                   in memory, lost on exit
//	UPO signature             MF qualified certificate                  the simulator's self-signed UPO certificate
//	UPO receiving entity      "… - środowisko testowe (TE)" on TEST     "Ministerstwo Finansów" (the schema's fixed value)
//	PEF invoices              UBL/Peppol validation                     well-formedness and root element only
//	Seller vs context         self-invoicing, representatives, groups  Podmiot1 NIP = context NIP (or EnforcementOperations)
//	Technical corrections     21166/21167 rules                         hashOfCorrectedInvoice accepted, not checked
//	NIP checks on invoices    PRD; X-KSeF-Feature on TEST               not done
//	Invoice size over 3 MB    not documented                            400/21405 when invoiceSize declares it
//	Maintenance (21184)       during maintenance                        never
package ksefsim
