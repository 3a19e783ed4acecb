/**
 * A self-signed certificate for 127.0.0.1 / localhost (P-256, valid until 2126),
 * for wss:// tests only. Generated with:
 * openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
 *   -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost
 *
 * @module
 */
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgGqjPoc1DonJqZZvI
S5gX8okYjfGZzCFh2O0/DFiDEh+hRANCAARyF0BrWt2My0CD88jjlJpq7nn6PMUp
wxH0vUjhisZrIF8ih4WYGa8oxCYHbIoi6JJgakI+ihitQ6x7vCeWFn6z
-----END PRIVATE KEY-----
`;
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUC6dvRSndFBymJmduge9W9fXUcE8wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDA5MTM0OVoYDzIxMjYxMDMx
MDkxMzQ5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARyF0BrWt2My0CD88jjlJpq7nn6PMUpwxH0vUjhisZrIF8ih4WYGa8o
xCYHbIoi6JJgakI+ihitQ6x7vCeWFn6zo28wbTAdBgNVHQ4EFgQUJ6pAhqqr/gCm
Xdb60Sy8JDUz2S4wHwYDVR0jBBgwFoAUJ6pAhqqr/gCmXdb60Sy8JDUz2S4wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDRwAwRAIgeLMUbt/akD9W49Y2d7LUHAUEJd8AbIV4i/dH5mdlX90CIAJ1
HRYsVfzQ+Y0ALaEEaqokrqVLlGKh3P/9IhfMRuq9
-----END CERTIFICATE-----
`;
