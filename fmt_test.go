package ksef_test

import "fmt"

func fmtSprint(format string, a ...any) string { return fmt.Sprintf(format, a...) }
