package smsc

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// withhold returns err unchanged unless its message shows one of secrets
// (raw, query-escaped or as strconv.Quote escapes it), which happens when an
// answer echoes a credential (an error page repeating the request URL, a
// body holding the username). Then it returns an error of the same reason
// and Retry-After whose message leaves the answer out.
func withhold(err error, resp *providers.Response, secrets []string) error {
	if err == nil || !shows(err.Error(), secrets) {
		return err
	}
	e := &providers.Error{Reason: providers.Classify(err), RetryAfter: providers.RetryAfter(err),
		Msg: fmt.Sprintf("%s: HTTP %d: answer not quoted because it echoes a credential", resp.Op, resp.Status)}
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Err != nil && !shows(pe.Err.Error(), secrets) {
		e.Err = pe.Err
	}
	return e
}

// shows reports whether s contains one of secrets in any of its forms.
func shows(s string, secrets []string) bool {
	for _, v := range secrets {
		if v == "" {
			continue
		}
		quoted := strconv.Quote(v)
		for _, form := range []string{v, url.QueryEscape(v), quoted[1 : len(quoted)-1]} {
			if strings.Contains(s, form) {
				return true
			}
		}
	}
	return false
}
