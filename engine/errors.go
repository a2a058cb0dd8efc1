package engine

import "errors"

var errNoSQL = errors.New("SQL statements are not available yet")
