// The whole core API in one include: tensors, ops, autodiff and random numbers.
#pragma once

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"
