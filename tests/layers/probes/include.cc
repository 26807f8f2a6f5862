// Includes HEADER (a -D definition, a string literal), as a source of the
// layer whose include directories it is compiled with (layers_test.cmake).
#include HEADER

int main() { return 0; }
