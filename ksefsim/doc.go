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
// element); 415 for attachments; in a session opened with
// "X-KSeF-Feature: subject-identifier-validation", 450 when a party's NIP
// (or Podmiot3's IDWew) has a wrong check digit; 410 when Podmiot1's NIP
// is not the context's; 450 when P_1 lies after the day of acceptance; 440 for a
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
// # Where the simulator differs from KSeF
//
// Each row names the test (in this package unless a path is given) that
// shows the behaviour.
//
// More lenient than KSeF:
//
//	Area                   KSeF (PRD/DEMO)                      Simulator                                  Shown by
//	Certificates           qualified (EUTL), Profil Zaufany,    any certificate, self-signed included      TestXAdESIdentities
//	                       KSeF certificates; TEST: self-signed (as on TEST)
//	Revocation             OCSP/CRL; status 100 while checking  never checked                              (by construction: no OCSP/CRL client)
//	verifyCertificateChain chain + OCSP/CRL                     chain to WithTrustedRoots; none: 460       TestAuthStatusOutcomes
//	XAdES levels           BES/EPES/T/LT/LTA                    the XAdES-BES core that package xades      TestXAdESFormsLogin
//	                                                            verifies
//	Subjects               only registered taxpayers            any valid NIP owns its context             TestXAdESIdentities
//	InternalId contexts    subunit administrators only          also the owner of the NIP part             TestXAdESIdentities
//	Rate-limit penalties   Retry-After grows with violations    time until the window frees up             TestRateLimits
//	Test-data removal      unknown subject/person: undocumented removing an unknown one succeeds           TestTestDataValidation
//	Token revocation       Revoking, then Revoked               Revoked at once                            TestE2ETokensListAndRevoke (package ksef)
//	Token visibility       CredentialsRead/Manage, author, or   the same, without the NIP–PESEL link       TestE2ETokensListAndRevoke (package ksef)
//	                       own token, with the NIP–PESEL link
//	UPO signature          MF qualified certificate             the simulator's self-signed UPO            TestOnlineUPOOracles
//	                                                            certificate ([Simulator.UPOCertificate])
//	UPO receiving entity   "… - środowisko testowe (TE)" on     "Ministerstwo Finansów" (the schema's      TestOnlineUPOOracles
//	                       TEST                                 fixed value)
//	PEF invoices           UBL/Peppol validation                well-formedness and root element only      TestOnlineOtherForms
//	Seller vs context      self-invoicing, representatives,     Podmiot1 NIP = context NIP (or             TestOnlineInvoiceRejections
//	                       VAT groups                           EnforcementOperations)
//	Technical corrections  21166/21167 rules                    hashOfCorrectedInvoice format-checked only (by construction: not implemented yet)
//	NIP checks on invoices PRD; on TEST with X-KSeF-Feature:    only in sessions opened with the header:   TestE2EOnlineSemanticErrors (package ksef)
//	                       subject-identifier-validation        check digits of the NIPs of Podmiot1/2/3
//	                       (verify)                             and PodmiotUpowazniony and of Podmiot3
//	                                                            IDWew; a bad one gives status 450
//	Maintenance (21184)    during maintenance works             on demand ([Simulator.SetMaintenance]):    TestE2EOnlineSessionStateErrors,
//	                                                            sends to the sessions open then get        TestE2ESenderMovesOnAfterMaintenance
//	                                                            21184; sessions opened later work          (package ksef)
//
// Stricter than KSeF, or where KSeF's behaviour is not documented:
//
//	Area                   KSeF (PRD/DEMO)                      Simulator                                  Shown by
//	Operations             all of the API                       those in [Simulator.Handled]; every other  TestEveryOperationAnswersLikeKSeF
//	                                                            answers 400 with code 90001 (not a KSeF
//	                                                            code) in the requested error format
//	AuthTokenRequest XSD   .NET validation of the 2.1 schema    internal/authxsd: the same schema with our TestAuthXSDRefusals,
//	                                                            XSD engine (xmllint agrees); DOCTYPE and   internal/authxsd TestReadRefuses
//	                                                            xml:base on the document refused; 2.0
//	                                                            read with 2.1's (valid) IPv4 patterns;
//	                                                            "^"/"$" in the NipVatUe and PeppolId       internal/authxsd TestDotNetAnchors
//	                                                            patterns read as anchors, as .NET does
//	Refusal order          not documented                       size, XML, XSD, signature count, context,  TestCheapChecksBeforeVerification
//	                                                            challenge (21111) before the signature
//	Signed content         not documented                       read from what the signature covers; a     TestXAdESFormsLogin (tampered copies)
//	                                                            different unsigned copy is refused (9105)
//	Connection timeouts    not documented                       header 10 s, body idle 30 s, write 60 s,   TestServeClosesStalledBody
//	                                                            keep-alive 120 s ([ServerTimeouts])
//	Retention              410 after 7 days                     the same, on the injected clock            TestAuthStatusOutcomes
//	Others' online session not documented (verify: 403 or       sending to or closing a session another    TestE2EOnlineCloseBySubject (package ksef)
//	                       400/21173)                           subject of the context opened: 400/21173,
//	                                                            as GET /sessions shows a subject without
//	                                                            Introspection only the sessions it opened
//	Invoice size over 3 MB not documented                       400/21405 when invoiceSize declares it     TestOnlineInvoiceRejections
//	Persistence            durable                              in memory, lost on exit                    (by construction)
//	Permanent storage      invoices reach it after a lag; data  after [WithPermanentStorageDelay] (default TestPermanentStorageDelayAndHWM
//	and HWM                up to the HWM is final               0); the HWM is just before the oldest
//	                                                            invoice not yet stored, else now; 21165
//	                                                            for download until then
//	Query cap ties         not documented                       records sorted by the filter's date, ties  TestE2EQueryMetadata (package ksef)
//	                                                            by KSeF number; isTruncated on the page
//	                                                            that reaches record 10,000; the range
//	                                                            [from, to] includes both ends
//	Export package layout  not documented beyond the file      invoices as {ksefNumber}.xml in ascending  TestExportOracle (package ksef)
//	                       names                                date order, then _metadata.json last;
//	                                                            one AES-256-CBC run per part, all with
//	                                                            the export's key and IV
//	Unknown export ref     not documented                       400/21405                                  (handleExportStatus)
//	Export status after    210, then 410 after the 7-day        210 after [ExportLimits].PackageLifetime,  TestE2EExportExpiryAndWrongKey (package
//	expiry                 retention                            410 after twice that                       ksef)
//	Export faults          -                                    on demand ([Simulator.InjectExportFaults]): TestE2EExportFaults (package ksef)
//	                                                            stuck at 100, expired part URLs, a part
//	                                                            with one byte changed
//	Seeded invoices        -                                    [Simulator.SeedInvoices]: FA(3) invoices   TestSeedDownloadAndQuery
//	                                                            generated on demand from templates, one
//	                                                            seller and buyer, schema-valid
//
// The XAdES signature forms KSeF lists (enveloped or enveloping, also
// base64; XPath, XPath-Filter2 and enveloped-signature transforms; C14N
// 1.0/1.1 and exclusive, with or without comments; RSA PKCS#1 v1.5,
// RSA-PSS and ECDSA with SHA-1/2 digests) are all accepted, as by KSeF;
// SHA-1 with the warning "X-System-Warning: [sig-001]: …"
// (TestXAdESFormsLogin, one subtest per form, signed by xmlsec1).
package ksefsim
