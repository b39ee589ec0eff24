package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// newLogger returns the go-kit logger for --log.level and --log.format.
func newLogger(w io.Writer, lvl, format string) (log.Logger, error) {
	var l log.Logger
	switch format {
	case "logfmt":
		l = log.NewLogfmtLogger(log.NewSyncWriter(w))
	case "json":
		l = log.NewJSONLogger(log.NewSyncWriter(w))
	default:
		return nil, fmt.Errorf("unknown log format %q (logfmt or json)", format)
	}
	var opt level.Option
	switch lvl {
	case "debug":
		opt = level.AllowDebug()
	case "info":
		opt = level.AllowInfo()
	case "warn":
		opt = level.AllowWarn()
	case "error":
		opt = level.AllowError()
	default:
		return nil, fmt.Errorf("unknown log level %q (debug, info, warn or error)", lvl)
	}
	l = level.NewFilter(l, opt)
	return log.With(l, "ts", log.DefaultTimestampUTC), nil
}

// withCaller adds the caller of Log to the go-kit logger's lines.
func withCaller(l log.Logger) log.Logger { return log.With(l, "caller", log.DefaultCaller) }

// slogHandler is a slog.Handler that writes through a go-kit logger, so that
// exporter-toolkit's lines have the same format and level filter as ours.
type slogHandler struct {
	logger log.Logger
	attrs  []any
	group  string
}

// newSlogLogger returns an *slog.Logger writing through l.
func newSlogLogger(l log.Logger) *slog.Logger { return slog.New(&slogHandler{logger: l}) }

func (h *slogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	kv := []any{}
	if r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		kv = append(kv, "caller", fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line))
	}
	kv = append(kv, "msg", r.Message)
	kv = append(kv, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		kv = h.appendAttr(kv, h.group, a)
		return true
	})
	var l log.Logger
	switch {
	case r.Level >= slog.LevelError:
		l = level.Error(h.logger)
	case r.Level >= slog.LevelWarn:
		l = level.Warn(h.logger)
	case r.Level >= slog.LevelInfo:
		l = level.Info(h.logger)
	default:
		l = level.Debug(h.logger)
	}
	return l.Log(kv...)
}

func (h *slogHandler) appendAttr(kv []any, group string, a slog.Attr) []any {
	a.Value = a.Value.Resolve()
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, ga := range a.Value.Group() {
			kv = h.appendAttr(kv, key, ga)
		}
		return kv
	}
	return append(kv, key, a.Value.Any())
}

func (h *slogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]any(nil), h.attrs...)
	for _, a := range as {
		n.attrs = n.appendAttr(n.attrs, h.group, a)
	}
	return &n
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.group = strings.TrimPrefix(h.group+"."+name, ".")
	return &n
}
