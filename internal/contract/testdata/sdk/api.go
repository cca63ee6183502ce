package sdk

// Service is a fake service.
type Service struct{}

// Challenge gets a challenge.
//
// KSeF API: POST /auth/challenge
func (s *Service) Challenge() {}

// Sessions lists sessions.
//
// KSeF API: GET /sessions
func (s Service) Sessions() {}

// Login runs the whole flow but claims two operations.
//
// KSeF API: POST /auth/ksef-token
// KSeF API: GET /auth/{referenceNumber}
func Login() {}

// Again claims an operation a second time.
//
// KSeF API: GET /sessions
func Again() {}

// Bogus names an operation the spec lacks.
//
// KSeF API: GET /no/such
func Bogus() {}

// Malformed has a broken line.
//
// KSeF API: fetch /auth/challenge
func Malformed() {}

// KSeF API: POST /tokens
var stray = 1
