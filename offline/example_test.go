package offline_test

import (
	"fmt"
	"time"

	"github.com/ksef2/ksef/offline"
)

// The example of tryby-offline.md: an invoice issued in offline24 on
// 2025-07-08 is due the next business day; a failure announced on
// 2025-07-09 and ended on Saturday 2025-07-12 moves the deadline to 7
// business days after its end.
func ExampleComputeDeadline() {
	issued := offline.Date(2025, time.July, 8)
	d, _ := offline.ComputeDeadline(offline.DeadlineParams{Mode: offline.Offline24, Issued: issued})
	fmt.Println(d.Due.Format(time.DateOnly))

	failure := offline.Outage{Kind: offline.Failure,
		Start: time.Date(2025, time.July, 9, 10, 0, 0, 0, offline.Warsaw()),
		End:   time.Date(2025, time.July, 12, 18, 0, 0, 0, offline.Warsaw())}
	d, _ = offline.ComputeDeadline(offline.DeadlineParams{Mode: offline.Offline24, Issued: issued, Outages: []offline.Outage{failure}})
	fmt.Println(d.Due.Format(time.DateOnly), "-", d.Reason)
	// Output:
	// 2025-07-09
	// 2025-07-22 - 7 business days after the failure of KSeF announced on 2025-07-09 ended on 2025-07-12
}

func ExampleHolidays() {
	for _, h := range offline.Holidays(2026) {
		if h.Name == "Poniedziałek Wielkanocny" || h.Name == "Boże Ciało" {
			fmt.Println(h.Date.Format(time.DateOnly), h.Name)
		}
	}
	// Output:
	// 2026-04-06 Poniedziałek Wielkanocny
	// 2026-06-04 Boże Ciało
}
