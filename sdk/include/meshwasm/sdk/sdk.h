// The meshwasm C++ guest SDK for Proxy-Wasm ABI 0.2.1: everything in one include.
#pragma once

#include "meshwasm/sdk/buffers.h"
#include "meshwasm/sdk/common.h"
#include "meshwasm/sdk/context.h"
#include "meshwasm/sdk/headers.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/metrics.h"
#include "meshwasm/sdk/properties.h"
#include "meshwasm/sdk/registration.h"
#include "meshwasm/sdk/shared.h"
#include "meshwasm/sdk/stream_control.h"
#include "meshwasm/sdk/time.h"
