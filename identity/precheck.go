package identity

// The prechecks give the field errors identity would give, without the
// store, rate limits or mail: a handler whose own form checks failed (a
// missing field, a confirmation that does not match) merges them in, so one
// round shows every field's error (issue 18 item 2). Each returns nil when
// its fields are fine, else an EINVALID error with a message per field.

// CheckRegistration checks what Register checks of in without the store:
// the address's form, the password policy and the extra fields.
func (s *Service) CheckRegistration(in RegisterInput) error {
	fields := map[string]message{}
	if m := validateEmail(in.Email); !m.ok() {
		fields["email"] = m
	}
	if m := s.checkPassword(in.Password, in.Email); !m.ok() {
		fields["password"] = m
	}
	_, attrErrs := s.checkAttributes(in.Attributes)
	for k, v := range attrErrs {
		fields[k] = v
	}
	if len(fields) == 0 {
		return nil
	}
	return fieldsErr(fields)
}

// CheckReset checks what ResetPassword checks of an address and a new
// password before it spends the link.
func (s *Service) CheckReset(email, password string) error {
	fields := map[string]message{}
	if m := validateEmail(email); !m.ok() {
		fields["email"] = m
	}
	if m := s.checkPassword(password, email); !m.ok() {
		fields["password"] = m
	}
	if len(fields) == 0 {
		return nil
	}
	return fieldsErr(fields)
}

// CheckNewPassword checks password against the policy for the account of
// address email; field names the form field the error is for.
func (s *Service) CheckNewPassword(field, password, email string) error {
	if m := s.checkPassword(password, email); !m.ok() {
		return msgErr(field, m)
	}
	return nil
}
