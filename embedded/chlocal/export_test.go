package chlocal

import (
	"context"

	"github.com/rebatehq/rebate/embedded/chdb"
)

// CodeNames lets the external tests check every code the endpoint raises or
// maps against the engine's own errorCodeToName.
var CodeNames = map[int]string{
	codeCannotParseText: "CANNOT_PARSE_TEXT", codeThereIsNoColumn: "THERE_IS_NO_COLUMN",
	codeDuplicateColumn: "DUPLICATE_COLUMN", codeCannotParseEscapeSequence: "CANNOT_PARSE_ESCAPE_SEQUENCE",
	codeCannotParseQuotedString: "CANNOT_PARSE_QUOTED_STRING", codeCannotParseInputAssertion: "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
	codeCannotReadAllData: "CANNOT_READ_ALL_DATA", codeBadArguments: "BAD_ARGUMENTS",
	codeUnknownElementInAST: "UNKNOWN_ELEMENT_IN_AST", codeCannotParseDate: "CANNOT_PARSE_DATE",
	codeCannotParseDateTime: "CANNOT_PARSE_DATETIME", codeIllegalColumn: "ILLEGAL_COLUMN",
	codeUnknownFunction: "UNKNOWN_FUNCTION", codeUnknownIdentifier: "UNKNOWN_IDENTIFIER",
	codeNotImplemented: "NOT_IMPLEMENTED", codeUnknownType: "UNKNOWN_TYPE", codeTypeMismatch: "TYPE_MISMATCH",
	codeUnknownStorage: "UNKNOWN_STORAGE", codeUnknownTable: "UNKNOWN_TABLE", codeSyntaxError: "SYNTAX_ERROR",
	codeUnknownAggregateFunction: "UNKNOWN_AGGREGATE_FUNCTION", codeCannotParseNumber: "CANNOT_PARSE_NUMBER",
	codeUnknownFormat: "UNKNOWN_FORMAT", codeCannotOpenFile: "CANNOT_OPEN_FILE",
	codeUnknownTypeOfQuery: "UNKNOWN_TYPE_OF_QUERY", codeUnknownDatabase: "UNKNOWN_DATABASE",
	codeUnknownCompressionMethod: "UNKNOWN_COMPRESSION_METHOD", codeUnknownSetting: "UNKNOWN_SETTING",
	codeIncorrectData: "INCORRECT_DATA", codeUnknownTypeOfASTNode: "UNKNOWN_TYPE_OF_AST_NODE",
	codeUnknownDirectionOfSorting: "UNKNOWN_DIRECTION_OF_SORTING", codeTimeoutExceeded: "TIMEOUT_EXCEEDED",
	codeReadonly: "READONLY", codeTooDeepAST: "TOO_DEEP_AST", codeTooBigAST: "TOO_BIG_AST",
	codeUnknownUser: "UNKNOWN_USER", codeWrongPassword: "WRONG_PASSWORD", codeRequiredPassword: "REQUIRED_PASSWORD",
	codeSocketTimeout: "SOCKET_TIMEOUT", codeUnexpectedASTStructure: "UNEXPECTED_AST_STRUCTURE",
	codeQueryIsTooLarge: "QUERY_IS_TOO_LARGE", codeCannotDecompress: "CANNOT_DECOMPRESS",
	codeValueOutOfRange: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE", codeUnknownDatabaseEngine: "UNKNOWN_DATABASE_ENGINE",
	codeSupportIsDisabled: "SUPPORT_IS_DISABLED", codeIntoOutfileNotAllowed: "INTO_OUTFILE_NOT_ALLOWED",
	codeCannotParseUUID: "CANNOT_PARSE_UUID", codeQueryWasCancelled: "QUERY_WAS_CANCELLED",
	codeHTTPLengthRequired: "HTTP_LENGTH_REQUIRED", codeCannotCompileRegexp: "CANNOT_COMPILE_REGEXP",
	codeCannotScheduleTask: "CANNOT_SCHEDULE_TASK", codeCannotParseDomainValue: "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
	codeAccessDenied: "ACCESS_DENIED", codeUnknownRole: "UNKNOWN_ROLE", codeSetNonGrantedRole: "SET_NON_GRANTED_ROLE",
	codeAuthenticationFailed: "AUTHENTICATION_FAILED", codeCannotParseIPv4: "CANNOT_PARSE_IPV4",
	codeCannotParseIPv6: "CANNOT_PARSE_IPV6", codeUnknownException: "UNKNOWN_EXCEPTION",
}

// CodeName exposes the names the endpoint writes for its own exceptions.
var CodeName = codeName

// RunAs runs sql on the engine connections of role, past the fence: the
// engine's own enforcement of readonly, tested alone.
func RunAs(s *Server, role Role, sql string) error {
	req := &request{user: &account{name: "test", role: role}}
	out, ex := s.runPooled(context.Background(), req, kindOther, sql, "TabSeparated")
	if ex != nil {
		return ex
	}
	out.close()
	return nil
}

// Fence judges sql as the fence would for a client of the open endpoint,
// without running it (for measuring the fence alone).
func Fence(s *Server, sql string, params map[string]string) error {
	st, ex := parseStatement(sql)
	if ex != nil {
		return ex
	}
	req := &request{database: "default"}
	for k, v := range params {
		req.params = append(req.params, chdb.Param{Name: k, Value: v})
	}
	if ex := s.fence(context.Background(), req, st); ex != nil {
		return ex
	}
	return nil
}
