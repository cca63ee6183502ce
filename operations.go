package ksef

//go:generate go run ./internal/apigen/cmd/apigen

// Operation identifies one operation of the KSeF API (OpAuthChallenge,
// OpTokenGenerate, ...). The facts of each operation live in one table,
// generated from the OpenAPI document with a hand-written overlay
// (internal/apigen): see [Operation.Info]. The client's services, its
// pacer and retry logic, and the simulator's router all read that table.
type Operation int

// AuthKind says how an operation is authorised.
type AuthKind int

// The authorisation kinds of KSeF operations.
const (
	// AuthNone: a public operation, no Authorization header.
	AuthNone AuthKind = iota
	// AuthAccessToken: the access token of an authenticated session.
	AuthAccessToken
	// AuthOperationToken: the authentication operation token (status,
	// redeem) or the refresh token (refresh), passed by the caller.
	AuthOperationToken
)

// Paging is the paging style of a list operation.
type Paging int

// The paging styles of the KSeF API.
const (
	// PagingNone: the operation returns everything in one response.
	PagingNone Paging = iota
	// PagingContinuationToken: the response carries a continuationToken,
	// sent back in the x-continuation-token request header for the next
	// page.
	PagingContinuationToken
	// PagingOffset: pageOffset/pageSize query parameters; the response
	// says hasMore.
	PagingOffset
)

// OperationInfo holds the facts of one operation.
type OperationInfo struct {
	// Method and Path are the HTTP method and the spec's path template,
	// e.g. "GET" and "/tokens/{referenceNumber}".
	Method, Path string
	// Status is the success status (200, 201, 202 or 204).
	Status int
	// SpecLimit is the operation's x-rate-limits in the spec.
	SpecLimit RateLimit
	// Group is the rate-limit group the operation counts against.
	Group RateLimitGroup
	// Auth says how the operation is authorised.
	Auth AuthKind
	// RetrySafe reports whether the operation may be repeated after a
	// 5xx, a dropped connection or a timeout (reads, the challenge, the
	// token refresh). A 429 is always retryable, since KSeF refuses before
	// processing.
	RetrySafe bool
	// Paging is the paging style of a list operation.
	Paging Paging
	// Permissions are the spec's x-required-permissions (any of them).
	Permissions []string
}

// Info returns the facts of the operation (the zero OperationInfo for an
// unknown value).
func (o Operation) Info() OperationInfo {
	if o <= 0 || int(o) >= len(operationTable) {
		return OperationInfo{}
	}
	return operationTable[o]
}

// String returns "METHOD /path", e.g. "POST /auth/challenge".
func (o Operation) String() string {
	i := o.Info()
	if i.Method == "" {
		return "Operation(unknown)"
	}
	return i.Method + " " + i.Path
}

// Operations returns every operation of the API, ordered by path.
func Operations() []Operation {
	out := make([]Operation, 0, len(operationTable)-1)
	for o := Operation(1); int(o) < len(operationTable); o++ {
		out = append(out, o)
	}
	return out
}

// LookupOperation returns the operation with the given method and spec
// path template, e.g. ("GET", "/tokens/{referenceNumber}").
func LookupOperation(method, path string) (Operation, bool) {
	for o := Operation(1); int(o) < len(operationTable); o++ {
		if operationTable[o].Method == method && operationTable[o].Path == path {
			return o, true
		}
	}
	return 0, false
}
