package ops_test

import (
	"testing"

	"github.com/rebatehq/rebate/internal/chlocaltest"
)

func TestMain(m *testing.M) { chlocaltest.Main(m) }
