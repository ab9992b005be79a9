/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go >= 1.22 calls
 * ProcessPrng from it at start-up for its random numbers. This one hands
 * the work to advapi32's RtlGenRandom (SystemFunction036), which Wine has.
 * Built by .ci/wine/build.sh; used only to run Windows test binaries in CI.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
