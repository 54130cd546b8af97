package chlocal

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rebatehq/rebate/embedded/chdb"
)

// ClickHouse error codes the endpoint raises itself or maps to a status.
// The numbers are the engine's (see TestErrorCodesMatchEngine).
const (
	codeCannotParseText           = 6
	codeThereIsNoColumn           = 8
	codeDuplicateColumn           = 15
	codeCannotParseEscapeSequence = 25
	codeCannotParseQuotedString   = 26
	codeCannotParseInputAssertion = 27
	codeCannotReadAllData         = 33
	codeBadArguments              = 36
	codeUnknownElementInAST       = 37
	codeCannotParseDate           = 38
	codeCannotParseDateTime       = 41
	codeIllegalColumn             = 44
	codeUnknownFunction           = 46
	codeUnknownIdentifier         = 47
	codeNotImplemented            = 48
	codeUnknownType               = 50
	codeTypeMismatch              = 53
	codeUnknownStorage            = 56
	codeUnknownTable              = 60
	codeSyntaxError               = 62
	codeUnknownAggregateFunction  = 63
	codeCannotParseNumber         = 72
	codeUnknownFormat             = 73
	codeCannotOpenFile            = 76
	codeUnknownTypeOfQuery        = 78
	codeUnknownDatabase           = 81
	codeUnknownCompressionMethod  = 89
	codeUnknownSetting            = 115
	codeIncorrectData             = 117
	codeUnknownTypeOfASTNode      = 123
	codeUnknownDirectionOfSorting = 152
	codeTimeoutExceeded           = 159
	codeReadonly                  = 164
	codeTooDeepAST                = 167
	codeTooBigAST                 = 168
	codeUnknownUser               = 192
	codeWrongPassword             = 193
	codeRequiredPassword          = 194
	codeSocketTimeout             = 209
	codeUnexpectedASTStructure    = 223
	codeQueryIsTooLarge           = 229
	codeCannotDecompress          = 271
	codeValueOutOfRange           = 321
	codeUnknownDatabaseEngine     = 336
	codeSupportIsDisabled         = 344
	codeIntoOutfileNotAllowed     = 358
	codeCannotParseUUID           = 376
	codeQueryWasCancelled         = 394
	codeHTTPLengthRequired        = 381
	codeCannotCompileRegexp       = 427
	codeCannotScheduleTask        = 439
	codeCannotParseDomainValue    = 441
	codeAccessDenied              = 497
	codeUnknownRole               = 511
	codeSetNonGrantedRole         = 512
	codeAuthenticationFailed      = 516
	codeCannotParseIPv4           = 675
	codeCannotParseIPv6           = 676
	codeUnknownException          = 1002
)

// Exception is a ClickHouse exception as the HTTP interface reports it.
type Exception struct {
	Code    int
	Message string // full text, "Code: N. DB::Exception: ..."
	status  int    // HTTP status when not the code's usual one
}

func (e *Exception) Error() string { return e.Message }

func newException(code int, format string, args ...any) *Exception {
	return &Exception{Code: code, Message: fmt.Sprintf("Code: %d. DB::Exception: %s. (%s)", code, fmt.Sprintf(format, args...), codeName(code))}
}

// asException turns any error into the exception the client will see.
func asException(err error) *Exception {
	var ex *Exception
	if errors.As(err, &ex) {
		return ex
	}
	var ce *chdb.Error
	if errors.As(err, &ce) {
		code := ce.Code
		if code == 0 {
			code = codeUnknownException
		}
		return &Exception{Code: code, Message: ce.Message}
	}
	return newException(codeUnknownException, "%v", err)
}

// httpStatus follows the server's exceptionCodeToHTTPStatus.
func httpStatus(code int) int {
	switch code {
	case codeRequiredPassword:
		return http.StatusUnauthorized
	case codeUnknownUser, codeWrongPassword, codeAuthenticationFailed, codeSetNonGrantedRole, codeAccessDenied:
		return http.StatusForbidden
	case codeBadArguments, codeCannotCompileRegexp, codeCannotParseText, codeCannotParseEscapeSequence,
		codeCannotParseQuotedString, codeCannotParseDate, codeCannotParseDateTime, codeCannotParseNumber,
		codeCannotParseDomainValue, codeCannotParseIPv4, codeCannotParseIPv6, codeCannotParseInputAssertion,
		codeCannotParseUUID, codeDuplicateColumn, codeIllegalColumn, codeUnknownElementInAST,
		codeUnknownTypeOfASTNode, codeThereIsNoColumn, codeTooDeepAST, codeTooBigAST,
		codeUnexpectedASTStructure, codeSyntaxError, codeIncorrectData, codeTypeMismatch, codeValueOutOfRange:
		return http.StatusBadRequest
	case codeUnknownTable, codeUnknownFunction, codeUnknownIdentifier, codeUnknownType, codeUnknownStorage,
		codeUnknownDatabase, codeUnknownSetting, codeUnknownDirectionOfSorting, codeUnknownAggregateFunction,
		codeUnknownFormat, codeUnknownDatabaseEngine, codeUnknownTypeOfQuery, codeUnknownRole:
		return http.StatusNotFound
	case codeQueryIsTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeNotImplemented:
		return http.StatusNotImplemented
	case codeSocketTimeout, codeCannotOpenFile, codeCannotScheduleTask:
		return http.StatusServiceUnavailable
	case codeHTTPLengthRequired:
		return http.StatusLengthRequired
	case codeTimeoutExceeded:
		return http.StatusRequestTimeout
	}
	return http.StatusInternalServerError
}

// codeName is the symbolic name for the codes the endpoint raises itself.
func codeName(code int) string {
	switch code {
	case codeSyntaxError:
		return "SYNTAX_ERROR"
	case codeReadonly:
		return "READONLY"
	case codeNotImplemented:
		return "NOT_IMPLEMENTED"
	case codeQueryIsTooLarge:
		return "QUERY_IS_TOO_LARGE"
	case codeIntoOutfileNotAllowed:
		return "INTO_OUTFILE_NOT_ALLOWED"
	case codeSupportIsDisabled:
		return "SUPPORT_IS_DISABLED"
	case codeUnknownCompressionMethod:
		return "UNKNOWN_COMPRESSION_METHOD"
	case codeCannotDecompress:
		return "CANNOT_DECOMPRESS"
	case codeBadArguments:
		return "BAD_ARGUMENTS"
	case codeTimeoutExceeded:
		return "TIMEOUT_EXCEEDED"
	case codeUnknownSetting:
		return "UNKNOWN_SETTING"
	case codeAccessDenied:
		return "ACCESS_DENIED"
	case codeAuthenticationFailed:
		return "AUTHENTICATION_FAILED"
	}
	return "UNKNOWN_EXCEPTION"
}
