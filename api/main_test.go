package api_test

import (
	"testing"

	"github.com/rebatehq/rebate/chlocal/chlocaltest"
)

func TestMain(m *testing.M) { chlocaltest.Main(m) }
