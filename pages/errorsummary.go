package pages

// FieldMessage is one entry of a form's error summary: the field's name
// (its input has id "f-NAME") and its validation message.
type FieldMessage struct {
	Name    string
	Message string
}

// Summary lists the fields of order that have an error, in that order:
// the error summary at the top of a form links to each (issue 18 item 2,
// the GOV.UK pattern).
func (f FieldErrors) Summary(order ...string) []FieldMessage {
	var out []FieldMessage
	for _, name := range order {
		if msg := f[name]; msg != "" {
			out = append(out, FieldMessage{Name: name, Message: msg})
		}
	}
	return out
}

// Focus is the field that gets autofocus: the first of order with an
// error, else def ("" for none). Without JavaScript this puts the cursor
// in the first field to correct.
func (f FieldErrors) Focus(def string, order ...string) string {
	for _, name := range order {
		if f[name] != "" {
			return name
		}
	}
	return def
}

func (v RegisterView) fieldOrder() []string {
	order := []string{"email", "password", "confirm_password"}
	for _, x := range v.ExtraFields {
		order = append(order, x.Name)
	}
	return order
}

// ErrorSummary is the register form's fields with an error, in form order.
func (v RegisterView) ErrorSummary() []FieldMessage { return v.Errors.Summary(v.fieldOrder()...) }

// Focus is the field that gets autofocus (the first invalid one, else the
// address).
func (v RegisterView) Focus() string { return v.Errors.Focus("email", v.fieldOrder()...) }

var resetOrder = []string{"email", "password", "confirm_password"}

// ErrorSummary is the reset form's fields with an error, in form order.
func (v ResetPasswordView) ErrorSummary() []FieldMessage { return v.Errors.Summary(resetOrder...) }

// Focus is the field that gets autofocus (the first invalid one, else the
// address).
func (v ResetPasswordView) Focus() string { return v.Errors.Focus("email", resetOrder...) }

var changeOrder = []string{"old_password", "new_password", "confirm_password"}

// ErrorSummary is the change-password form's fields with an error, in form
// order.
func (v ChangePasswordView) ErrorSummary() []FieldMessage { return v.Errors.Summary(changeOrder...) }

// Focus is the field that gets autofocus: the first invalid one, or none.
func (v ChangePasswordView) Focus() string { return v.Errors.Focus("", changeOrder...) }

var setOrder = []string{"new_password", "confirm_password"}

// ErrorSummary is the set-password form's fields with an error, in form
// order.
func (v SetPasswordView) ErrorSummary() []FieldMessage { return v.Errors.Summary(setOrder...) }

// Focus is the field that gets autofocus: the first invalid one, or none.
func (v SetPasswordView) Focus() string { return v.Errors.Focus("", setOrder...) }

func (v ExternalConfirmView) fieldOrder() []string {
	order := []string{"code", "email"}
	for _, x := range v.ExtraFields {
		order = append(order, x.Name)
	}
	return order
}

// ErrorSummary is the confirm page's fields with an error, in page order.
func (v ExternalConfirmView) ErrorSummary() []FieldMessage {
	return v.Errors.Summary(v.fieldOrder()...)
}

// Focus is the field that gets autofocus: the first invalid one, else the
// code while one is awaited, else the address.
func (v ExternalConfirmView) Focus() string {
	def := "email"
	if v.SentTo != "" {
		def = "code"
	}
	return v.Errors.Focus(def, v.fieldOrder()...)
}
