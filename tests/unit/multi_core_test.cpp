// Spec: MultiCoreEngine (being written).
#include <gtest/gtest.h>

#include "pd/runtime/multi_core_engine.h"
