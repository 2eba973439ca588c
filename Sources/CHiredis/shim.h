#ifndef REDISAUDIT_CHIREDIS_SHIM_H
#define REDISAUDIT_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
