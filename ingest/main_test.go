package ingest_test

import (
	"os"
	"testing"

	"github.com/rebatehq/rebate/internal/chlocaltest"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(engineHelper())
	}
	if os.Getenv(pricerEnv) != "" {
		os.Exit(pricer())
	}
	chlocaltest.Main(m)
}
