package ksefsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsim"
)

// The simulator is an http.Handler serving the API under /v2.
func Example() {
	sim := ksefsim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	base := srv.URL + ksefsim.BasePath

	resp, err := http.Post(base+"/auth/challenge", "", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var ch ksef.AuthenticationChallengeResponse
	if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, ch.Challenge[9:11], ch.ClientIP)
	// Output: 200 CR 127.0.0.1
}

// Fault injection makes the next calls of an operation fail.
func ExampleFaults_Fail() {
	sim := ksefsim.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	sim.Faults().Fail("GET /security/public-key-certificates", 1, ksefsim.Fault{Status: http.StatusServiceUnavailable})

	for range 2 {
		resp, err := http.Get(srv.URL + "/v2/security/public-key-certificates")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 503
	// 200
}
