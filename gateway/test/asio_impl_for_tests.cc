// Asio's implementation for test executables that link meshwasm::gateway_grpc without the
// gateway (which compiles it in src/asio_impl.cc).
#include <boost/asio/impl/src.hpp>
